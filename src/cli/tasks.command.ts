import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { client, cliOptions, data } from './context.ts';
import { print } from './output.ts';

type Global = () => { url?: string; token?: string; json?: boolean };

const taskColumns = ['id', 'name', 'type', 'status', 'workflowState', 'priority', 'progress'];
const flat = (task: Record<string, any>) => ({ ...task, progress: task.progress ? `${task.progress.done}/${task.progress.total} (${task.progress.percent}%)` : '' });
/** Tasks as a table (progress as "done/total (percent)"), or unchanged with --json. */
const show = (tasks: Record<string, any> | Record<string, any>[], json?: boolean) =>
  json ? print(tasks, true) : print(Array.isArray(tasks) ? tasks.map(flat) : flat(tasks), false, taskColumns);

export function tasksCommand(global: Global) {
  const tasks = new Command('tasks').description('Tasks: list, inspect, create, pull work, move through the workflow');
  tasks
    .command('list')
    .argument('<projectId>')
    .option('--q <text>', 'search name, id or dataset name')
    .option('--status <status>', 'open | in_progress | completed | completed_with_issues')
    .option('--type <type>')
    .option('--assignee <who>', 'me | unassigned | a user id')
    .option('--open-issues', 'only tasks with open issues')
    .option('--archived', 'archived tasks instead')
    .option('--all', 'follow every page')
    .action(async (projectId: string, f: Record<string, any>) => {
      const o = cliOptions(global());
      const api = client(o);
      const rows: Record<string, unknown>[] = [];
      let cursor: string | undefined;
      do {
        const page = data(
          await api.GET('/api/v1/projects/{projectId}/tasks', {
            params: {
              path: { projectId },
              query: { q: f.q, status: f.status, type: f.type, assignee: f.assignee, openIssues: f.openIssues ? 'true' : undefined, archived: f.archived ? 'true' : undefined, limit: 500, cursor } as any,
            },
          }),
        );
        rows.push(...page.data);
        cursor = f.all ? (page.nextCursor ?? undefined) : undefined;
      } while (cursor);
      show(rows, o.json);
    });
  tasks
    .command('get')
    .argument('<taskId>')
    .action(async (taskId: string) => {
      const o = cliOptions(global());
      show(data(await client(o).GET('/api/v1/tasks/{taskId}', { params: { path: { taskId } } })) as Record<string, any>, o.json);
    });
  tasks
    .command('create')
    .argument('<projectId>')
    .argument('<file>', 'a JSON file with the task (name, type, datasetId, assigneeIds, allocation, …) or - for stdin')
    .action(async (projectId: string, file: string) => {
      const o = cliOptions(global());
      const body = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
      show(data(await client(o).POST('/api/v1/projects/{projectId}/tasks', { params: { path: { projectId } }, body })) as Record<string, any>, o.json);
    });
  tasks
    .command('pull')
    .description('Take the next batch of items from a pulling task (you become their assignee)')
    .argument('<taskId>')
    .option('--count <n>', 'how many', (v) => Number(v))
    .action(async (taskId: string, f: { count?: number }) => {
      const o = cliOptions(global());
      const result = data(await client(o).POST('/api/v1/tasks/{taskId}/pull', { params: { path: { taskId } }, body: f.count ? { count: f.count } : {} }));
      print(result.items as unknown as Record<string, unknown>[], o.json);
    });
  tasks
    .command('transition')
    .description('Move the task through its workflow (start, submit for review, pass, fail, submit data)')
    .argument('<taskId>')
    .argument('<to>', 'in_progress | pending_review | review_passed | data_submitted | resolved | open')
    .option('--comment <text>', 'required when failing a review')
    .action(async (taskId: string, to: string, f: { comment?: string }) => {
      const o = cliOptions(global());
      show(data(await client(o).POST('/api/v1/tasks/{taskId}/transitions', { params: { path: { taskId } }, body: { to, comment: f.comment } })) as Record<string, any>, o.json);
    });
  for (const action of ['lock', 'unlock'] as const) {
    tasks
      .command(action)
      .argument('<taskId>')
      .action(async (taskId: string) => {
        const o = cliOptions(global());
        const api = client(o);
        const result = action === 'lock'
          ? await api.POST('/api/v1/tasks/{taskId}/lock', { params: { path: { taskId } } })
          : await api.POST('/api/v1/tasks/{taskId}/unlock', { params: { path: { taskId } } });
        show(data(result) as Record<string, any>, o.json);
      });
  }
  return tasks;
}

export function datasetsCommand(global: Global) {
  const datasets = new Command('datasets').description('Datasets of a project');
  datasets
    .command('list')
    .argument('<projectId>')
    .action(async (projectId: string) => {
      const o = cliOptions(global());
      const page = data(await client(o).GET('/api/v1/projects/{projectId}/datasets', { params: { path: { projectId }, query: { limit: 500 } as any } }));
      print(page.data as Record<string, unknown>[], o.json, ['id', 'name', 'itemCount', 'createdAt']);
    });
  datasets
    .command('create')
    .argument('<projectId>')
    .argument('<name>')
    .action(async (projectId: string, name: string) => {
      const o = cliOptions(global());
      print(data(await client(o).POST('/api/v1/projects/{projectId}/datasets', { params: { path: { projectId } }, body: { name } })) as Record<string, unknown>, o.json, ['id', 'name', 'itemCount']);
    });
  return datasets;
}
