import { Command } from 'commander';
import { client, cliOptions, data } from './context.ts';
import { print } from './output.ts';

type Global = () => { url?: string; token?: string; json?: boolean };

/** `loupe jobs stats|pause|resume|clear|clean|retry` (administrators; docs/jobs.md). */
export function jobsCommand(global: Global) {
  const cmd = new Command('jobs').description('The job queue (administrators)');
  cmd
    .command('stats')
    .description('live counts per queue and state')
    .action(async () => {
      const o = cliOptions(global());
      const stats = data(await client(o).GET('/api/v1/jobs/stats', {}));
      if (o.json) return print(stats, true);
      process.stdout.write(`paused: ${stats.paused}\n`);
      print(stats.queues as Record<string, unknown>[], false, ['name', 'waiting', 'delayed', 'active', 'completed', 'failed']);
    });
  const action = (name: 'pause' | 'resume' | 'clear' | 'clean', description: string) =>
    cmd
      .command(name)
      .description(description)
      .action(async () => {
        const o = cliOptions(global());
        const api = client(o) as any;
        print(data(await api.POST(`/api/v1/jobs/${name}`, name === 'clear' ? { body: {} } : {})), o.json);
      });
  action('pause', 'stop starting jobs (running ones finish)');
  action('resume', 'start jobs again');
  action('clear', 'delete waiting and delayed jobs');
  action('clean', 'delete completed and failed jobs older than 24 hours');
  cmd
    .command('retry')
    .description('retry failed jobs (at most 1000 per call)')
    .option('--limit <n>', 'how many', '1000')
    .option('--queue <name>')
    .action(async (f: Record<string, any>) => {
      const o = cliOptions(global());
      print(data(await client(o).POST('/api/v1/jobs/retry-failed', { body: { limit: Number(f.limit), queue: f.queue } })), o.json);
    });
  return cmd;
}
