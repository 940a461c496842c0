import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { client, cliOptions, data } from './context.ts';
import { print } from './output.ts';

type Global = () => { url?: string; token?: string; json?: boolean };

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
const countsLine = (c: Record<string, number>) => Object.entries(c).filter(([, n]) => n).map(([k, n]) => `${k}=${n}`).join(' ') || '-';

/** `loupe evaluators list|create`. */
export function evaluatorsCommand(global: Global) {
  const evaluators = new Command('evaluators').description('Code checks and LLM judges of a project');
  evaluators
    .command('list')
    .argument('<projectId>')
    .action(async (projectId: string) => {
      const o = cliOptions(global());
      const page = data(await client(o).GET('/api/v1/projects/{projectId}/evaluators', { params: { path: { projectId }, query: { limit: 500 } } }));
      print(page.data, o.json, ['id', 'name', 'kind', 'check', 'model']);
    });
  evaluators
    .command('create')
    .argument('<projectId>')
    .argument('<file>', 'JSON: {name, kind:"code", check, params} or {name, kind:"llm", model, template, labels, baseUrl?}')
    .action(async (projectId: string, file: string) => {
      const o = cliOptions(global());
      const body = (await readJson(file)) as never;
      print(data(await client(o).POST('/api/v1/projects/{projectId}/evaluators', { params: { path: { projectId } }, body })), o.json, ['id', 'name', 'kind']);
    });
  return evaluators;
}

/** `loupe eval-tasks list|create|backfill|runs|logs`. */
export function evalTasksCommand(global: Global) {
  const tasks = new Command('eval-tasks').description('Evaluation tasks, their runs and logs');
  tasks
    .command('list')
    .argument('<projectId>')
    .action(async (projectId: string) => {
      const o = cliOptions(global());
      const page = data(await client(o).GET('/api/v1/projects/{projectId}/eval-tasks', { params: { path: { projectId }, query: { limit: 500 } } }));
      const rows = page.data.map((t) => ({ id: t.id, name: t.name, target: t.target.kind, status: t.status, blockedReason: t.blockedReason ?? '', lastRun: t.lastRuns[0]?.status ?? '-' }));
      print(o.json ? page.data : rows, o.json, ['id', 'name', 'target', 'status', 'lastRun', 'blockedReason']);
    });
  tasks
    .command('create')
    .argument('<projectId>')
    .argument('<file>', 'JSON: {name, evaluatorIds, target, samplingRate, filter?, mapping?, continuous?, quietSeconds?, blockAfterErrors?}')
    .action(async (projectId: string, file: string) => {
      const o = cliOptions(global());
      const body = (await readJson(file)) as never;
      print(data(await client(o).POST('/api/v1/projects/{projectId}/eval-tasks', { params: { path: { projectId } }, body })), o.json, ['id', 'name', 'status']);
    });
  tasks
    .command('backfill')
    .argument('<evalTaskId>')
    .option('--from <iso>', 'spans that started at or after this time')
    .option('--to <iso>', 'spans that started before this time')
    .option('--max <n>', 'consider at most this many spans', (v) => Number(v))
    .action(async (evalTaskId: string, flags: { from?: string; to?: string; max?: number }) => {
      const o = cliOptions(global());
      const body = { ...(flags.from ? { from: flags.from } : {}), ...(flags.to ? { to: flags.to } : {}), ...(flags.max ? { max: flags.max } : {}) };
      print(data(await client(o).POST('/api/v1/eval-tasks/{evalTaskId}/backfill', { params: { path: { evalTaskId } }, body })), o.json, ['id', 'kind', 'status']);
    });
  tasks
    .command('runs')
    .argument('<evalTaskId>')
    .action(async (evalTaskId: string) => {
      const o = cliOptions(global());
      const page = data(await client(o).GET('/api/v1/eval-tasks/{evalTaskId}/runs', { params: { path: { evalTaskId }, query: { limit: 500 } } }));
      const rows = page.data.map((r) => ({ id: r.id, kind: r.kind, status: r.status, startedAt: r.startedAt ?? '', endedAt: r.endedAt ?? '', counts: countsLine(r.counts) }));
      print(o.json ? page.data : rows, o.json, ['id', 'kind', 'status', 'startedAt', 'endedAt', 'counts']);
    });
  tasks
    .command('logs')
    .argument('<runId>')
    .action(async (runId: string) => {
      const o = cliOptions(global());
      const page = data(await client(o).GET('/api/v1/eval-runs/{runId}/logs', { params: { path: { runId }, query: { limit: 500 } } }));
      print(page.data, o.json, ['at', 'level', 'message']);
    });
  return tasks;
}
