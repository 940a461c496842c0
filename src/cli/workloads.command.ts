import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { client, cliOptions, data } from './context.ts';
import { print } from './output.ts';

type Global = () => { url?: string; token?: string; json?: boolean };

const workloadColumns = ['id', 'name', 'status', 'autoQa', 'repeats', 'target', 'cycle'];
const flat = (w: Record<string, any>) => ({
  ...w,
  repeats: w.schedule ? `${w.schedule.frequency} (${w.schedule.timeZone})` : '',
  target: w.target ? `${w.target.count} ${w.target.per === 'total' ? 'in all' : 'per reviewee'}` : '',
  cycle: w.currentCycle ? `${w.currentCycle.done}/${w.currentCycle.target} done, ${w.currentCycle.skipped} skipped` : '—',
});
const show = (rows: Record<string, any> | Record<string, any>[], json?: boolean) =>
  json ? print(rows, true) : print(Array.isArray(rows) ? rows.map(flat) : flat(rows), false, workloadColumns);

/** `loupe workloads …`: recurring QA cycles (docs/workloads.md). */
export function workloadsCommand(global: Global) {
  const workloads = new Command('workloads').description('Workloads: recurring QA cycles with a target, sampling and a scorecard');
  workloads
    .command('list')
    .argument('<projectId>')
    .option('--status <status>', 'active | inactive | archived')
    .action(async (projectId: string, f: { status?: 'active' | 'inactive' | 'archived' }) => {
      const o = cliOptions(global());
      const page = data(await client(o).GET('/api/v1/projects/{projectId}/workloads', { params: { path: { projectId }, query: { status: f.status, limit: 500 } } }));
      show(page.data as Record<string, any>[], o.json);
    });
  workloads
    .command('create')
    .argument('<projectId>')
    .argument('<file>', 'a JSON file with the workload (name, revieweeIds, evaluatorIds, scorecardRecipeId, schedule, target, sampling, …) or - for stdin')
    .action(async (projectId: string, file: string) => {
      const o = cliOptions(global());
      const body = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
      show(data(await client(o).POST('/api/v1/projects/{projectId}/workloads', { params: { path: { projectId } }, body })) as Record<string, any>, o.json);
    });
  workloads
    .command('show')
    .argument('<workloadId>')
    .action(async (workloadId: string) => {
      const o = cliOptions(global());
      show(data(await client(o).GET('/api/v1/workloads/{workloadId}', { params: { path: { workloadId } } })) as Record<string, any>, o.json);
    });
  workloads
    .command('cycles')
    .argument('<workloadId>')
    .action(async (workloadId: string) => {
      const o = cliOptions(global());
      const page = data(await client(o).GET('/api/v1/workloads/{workloadId}/cycles', { params: { path: { workloadId }, query: { limit: 500 } } }));
      const rows = page.data.map((c) => ({ ...c, progress: `${c.done}/${c.target}` }));
      print(rows as unknown as Record<string, unknown>[], o.json, ['id', 'periodStart', 'periodEnd', 'status', 'progress', 'skipped', 'taskId']);
    });
  for (const action of ['deactivate', 'archive'] as const) {
    workloads
      .command(action)
      .argument('<workloadId>')
      .action(async (workloadId: string) => {
        const o = cliOptions(global());
        const path = action === 'deactivate' ? '/api/v1/workloads/{workloadId}/deactivate' : '/api/v1/workloads/{workloadId}/archive';
        show(data(await client(o).POST(path, { params: { path: { workloadId } } })) as Record<string, any>, o.json);
      });
  }
  return workloads;
}
