import { Command, CommanderError } from 'commander';
import { LoupeError } from '../../sdk/index.ts';
import { itemsCommand } from '../cli/items.command.ts';
import { projectsCommand, usersCommand } from '../cli/projects.command.ts';
import { datasetsCommand, tasksCommand } from '../cli/tasks.command.ts';
import { exportsCommand } from '../cli/exports.command.ts';
import { jobsCommand } from '../cli/jobs.command.ts';
import { workloadsCommand } from '../cli/workloads.command.ts';
import { evalTasksCommand, evaluatorsCommand } from '../cli/evaluators.command.ts';
import { tracesCommand } from '../cli/traces.command.ts';
import { completionCommand, loginCommand, logoutCommand } from '../cli/login.command.ts';
import {
  annotationsCommand,
  extendDatasets,
  extendItems,
  extendProjects,
  extendTasks,
  extendUsers,
  issuesCommand,
  membersCommand,
  notificationsCommand,
  recipesCommand,
  statusesCommand,
  webhooksCommand,
} from '../cli/resources.command.ts';
import { exitCodeOf } from '../cli/exit.ts';

/**
 * The `loupe` command: `loupe serve` starts the server; every other command talks HTTP through
 * the generated SDK (never SQL), to the URL and token from flags, the environment or `loupe login`.
 * Exit codes (docs/cli.md): 0 ok, 1 usage, 2 refused by the server, 3 unreachable.
 */
const program = new Command('loupe')
  .description('Loupe: tasks, assignments and review for AI data')
  .option('--url <url>', 'server URL (default: LOUPE_URL, the login config, or http://127.0.0.1:3000)')
  .option('--token <token>', 'API token (default: LOUPE_TOKEN or the login config)')
  .option('--json', 'print JSON instead of tables');
const global = () => program.opts<{ url?: string; token?: string; json?: boolean }>();

program
  .command('serve')
  .description('Start the server (configuration from the environment; see the README)')
  .option('--workers <n>', 'server processes sharing the port (PostgreSQL only; default: LOUPE_WORKERS or 1; docs/deployment.md)')
  .action(async (options: { workers?: string }) => {
    // The server reads its configuration from the environment, once (main/config.ts); cluster
    // workers re-run this command with the same arguments and so see the same value.
    if (options.workers !== undefined) process.env.LOUPE_WORKERS = options.workers;
    await import('./server.ts');
  });
program.addCommand(loginCommand(global));
program.addCommand(logoutCommand());
const projects = projectsCommand(global);
extendProjects(projects, global);
program.addCommand(projects);
program.addCommand(membersCommand(global));
const users = usersCommand(global);
extendUsers(users, global);
program.addCommand(users);
const datasets = datasetsCommand(global);
extendDatasets(datasets, global);
program.addCommand(datasets);
const items = itemsCommand(global);
extendItems(items, global);
program.addCommand(items);
program.addCommand(recipesCommand(global));
const tasks = tasksCommand(global);
extendTasks(tasks, global);
program.addCommand(tasks);
program.addCommand(statusesCommand(global));
program.addCommand(annotationsCommand(global));
program.addCommand(issuesCommand(global));
program.addCommand(webhooksCommand(global));
program.addCommand(notificationsCommand(global));
// Other modules' command files register here (one line each).
program.addCommand(exportsCommand(global));
program.addCommand(jobsCommand(global));
program.addCommand(workloadsCommand(global));
program.addCommand(evaluatorsCommand(global)).addCommand(evalTasksCommand(global));
program.addCommand(tracesCommand(global));
program.addCommand(completionCommand(() => program));

const exitOverride = (command: Command) => {
  command.exitOverride();
  command.commands.forEach(exitOverride);
};
exitOverride(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Help and version are not errors; commander already printed its message.
    process.exit(error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.help' ? 0 : 1);
  }
  const code = exitCodeOf(error);
  if (error instanceof LoupeError) process.stderr.write(`loupe: ${error.message}\n${error.code ? `code: ${error.code}\n` : ''}`);
  else process.stderr.write(`loupe: ${(error as Error).message}\n`);
  process.exit(code);
});
