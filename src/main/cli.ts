import { Command } from 'commander';
import { itemsCommand } from '../cli/items.command.ts';
import { projectsCommand, usersCommand } from '../cli/projects.command.ts';
import { datasetsCommand, tasksCommand } from '../cli/tasks.command.ts';
import { workloadsCommand } from '../cli/workloads.command.ts';

/**
 * The `loupe` command: `loupe serve` starts the server; every other command talks HTTP through
 * the generated SDK (never SQL), to `LOUPE_URL` with `LOUPE_TOKEN`.
 */
const program = new Command('loupe')
  .description('Loupe: tasks, assignments and review for AI data')
  .option('--url <url>', 'server URL (default: LOUPE_URL or http://127.0.0.1:3000)')
  .option('--token <token>', 'API token (default: LOUPE_TOKEN)')
  .option('--json', 'print JSON instead of tables');
const global = () => program.opts<{ url?: string; token?: string; json?: boolean }>();

program
  .command('serve')
  .description('Start the server (configuration from the environment; see the README)')
  .action(async () => {
    await import('./server.ts');
  });
program.addCommand(projectsCommand(global));
program.addCommand(usersCommand(global));
program.addCommand(datasetsCommand(global));
program.addCommand(itemsCommand(global));
program.addCommand(tasksCommand(global));
program.addCommand(workloadsCommand(global));

program.parseAsync(process.argv).catch((error: Error) => {
  process.stderr.write(`loupe: ${error.message}\n`);
  process.exit(1);
});
