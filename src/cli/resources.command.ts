import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { call, cliOptions, UsageError } from './context.ts';
import { print } from './output.ts';

type Global = () => { url?: string; token?: string; json?: boolean };
type Row = Record<string, unknown>;

/** A JSON argument: inline JSON, `@file`, a file path, or `-` for stdin. */
export function jsonArg(value: string): unknown {
  const text = value === '-' ? readFileSync(0, 'utf8') : value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : /^\s*[[{]/.test(value) ? value : readFileSync(value, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`not JSON: ${value.slice(0, 80)}`);
  }
}

const list = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean);

/** Every page of a list route, or the first one. */
async function pages(o: ReturnType<typeof cliOptions>, path: string, params: Record<string, string>, query: Row, all?: boolean) {
  const rows: Row[] = [];
  let cursor: string | undefined;
  do {
    const page = await call<{ data: Row[]; nextCursor: string | null }>(o, 'GET', path, { path: params, query: { limit: 500, ...query, cursor } });
    rows.push(...page.data);
    cursor = all ? (page.nextCursor ?? undefined) : undefined;
  } while (cursor);
  return rows;
}

export function membersCommand(global: Global) {
  const members = new Command('members').description('Members of a project and their roles');
  members.command('list').argument('<projectId>').action(async (projectId: string) => {
    const o = cliOptions(global());
    print(await pages(o, '/api/v1/projects/{projectId}/members', { projectId }, {}, true), o.json, ['userId', 'email', 'name', 'role']);
  });
  members.command('add').description('Add a member or change their role').argument('<projectId>').argument('<user>', 'user id or email').argument('<role>', 'owner | manager | reviewer | annotator | viewer').action(async (projectId: string, userId: string, role: string) => {
    const o = cliOptions(global());
    print(await call(o, 'PUT', '/api/v1/projects/{projectId}/members/{userId}', { path: { projectId, userId }, body: { role } }), o.json);
  });
  members.command('remove').argument('<projectId>').argument('<userId>').action(async (projectId: string, userId: string) => {
    const o = cliOptions(global());
    await call(o, 'DELETE', '/api/v1/projects/{projectId}/members/{userId}', { path: { projectId, userId } });
    print({ removed: userId }, o.json);
  });
  return members;
}

export function extendProjects(projects: Command, global: Global) {
  projects.command('get').argument('<projectId>').action(async (projectId: string) => {
    const o = cliOptions(global());
    print(await call(o, 'GET', '/api/v1/projects/{projectId}', { path: { projectId } }), o.json);
  });
  projects.command('update').argument('<projectId>').argument('<json>', 'fields to change, e.g. {"name":"…"}').action(async (projectId: string, json: string) => {
    const o = cliOptions(global());
    print(await call(o, 'PATCH', '/api/v1/projects/{projectId}', { path: { projectId }, body: jsonArg(json) }), o.json);
  });
}

export function extendUsers(users: Command, global: Global) {
  users.command('list').option('--q <text>', 'search email or name').action(async (f: { q?: string }) => {
    const o = cliOptions(global());
    print(await pages(o, '/api/v1/users', {}, { q: f.q }, true), o.json, ['id', 'email', 'name', 'isAdmin']);
  });
  users.command('me').description('Who the token belongs to').action(async () => {
    const o = cliOptions(global());
    print(await call(o, 'GET', '/api/v1/me'), o.json);
  });
}

export function extendDatasets(datasets: Command, global: Global) {
  datasets.command('get').argument('<datasetId>').action(async (datasetId: string) => {
    const o = cliOptions(global());
    print(await call(o, 'GET', '/api/v1/datasets/{datasetId}', { path: { datasetId } }), o.json);
  });
  datasets.command('delete').argument('<datasetId>').action(async (datasetId: string) => {
    const o = cliOptions(global());
    await call(o, 'DELETE', '/api/v1/datasets/{datasetId}', { path: { datasetId } });
    print({ deleted: datasetId }, o.json);
  });
}

export function extendItems(items: Command, global: Global) {
  items.command('list').argument('<datasetId>').option('--filter <expr>', 'item filter').option('--all', 'follow every page').action(async (datasetId: string, f: { filter?: string; all?: boolean }) => {
    const o = cliOptions(global());
    print(await pages(o, '/api/v1/datasets/{datasetId}/items', { datasetId }, { filter: f.filter }, f.all), o.json, ['id', 'externalId', 'kind', 'draft', 'createdAt']);
  });
  items.command('get').argument('<itemId>').action(async (itemId: string) => {
    const o = cliOptions(global());
    print(await call(o, 'GET', '/api/v1/items/{itemId}', { path: { itemId } }), o.json);
  });
}

export function recipesCommand(global: Global) {
  const recipes = new Command('recipes').description('Recipes: ontologies, tools, statuses, validation');
  recipes.command('list').argument('<projectId>').action(async (projectId: string) => {
    const o = cliOptions(global());
    print(await pages(o, '/api/v1/projects/{projectId}/recipes', { projectId }, {}, true), o.json, ['id', 'name', 'createdAt']);
  });
  recipes.command('create').argument('<projectId>').argument('<json>', 'the recipe: inline JSON, a file, @file or -').action(async (projectId: string, json: string) => {
    const o = cliOptions(global());
    print(await call(o, 'POST', '/api/v1/projects/{projectId}/recipes', { path: { projectId }, body: jsonArg(json) }), o.json, ['id', 'name']);
  });
  recipes.command('get').argument('<recipeId>').action(async (recipeId: string) => {
    const o = cliOptions(global());
    print(await call(o, 'GET', '/api/v1/recipes/{recipeId}', { path: { recipeId } }), o.json);
  });
  recipes.command('update').argument('<recipeId>').argument('<json>').action(async (recipeId: string, json: string) => {
    const o = cliOptions(global());
    print(await call(o, 'PATCH', '/api/v1/recipes/{recipeId}', { path: { recipeId }, body: jsonArg(json) }), o.json, ['id', 'name']);
  });
  return recipes;
}

export function extendTasks(tasks: Command, global: Global) {
  tasks.command('show').description('A task with its progress (same as get)').argument('<taskId>').action(async (taskId: string) => {
    const o = cliOptions(global());
    print(await call(o, 'GET', '/api/v1/tasks/{taskId}', { path: { taskId } }), o.json, ['id', 'name', 'type', 'status', 'workflowState', 'priority']);
  });
  tasks.command('assign').description('Set the annotators (and reviewers) of a task').argument('<taskId>').argument('<assignees>', 'comma-separated user ids, emails or group ids').option('--reviewers <list>', 'comma-separated reviewers').action(async (taskId: string, assignees: string, f: { reviewers?: string }) => {
    const o = cliOptions(global());
    print(await call(o, 'PATCH', '/api/v1/tasks/{taskId}', { path: { taskId }, body: { assigneeIds: list(assignees), ...(f.reviewers ? { reviewerIds: list(f.reviewers) } : {}) } }), o.json, ['id', 'name', 'status', 'workflowState']);
  });
  tasks.command('update').argument('<taskId>').argument('<json>', 'fields to change').action(async (taskId: string, json: string) => {
    const o = cliOptions(global());
    print(await call(o, 'PATCH', '/api/v1/tasks/{taskId}', { path: { taskId }, body: jsonArg(json) }), o.json, ['id', 'name', 'status', 'workflowState']);
  });
  tasks.command('archive').description('Delete a task; one with history is archived instead').argument('<taskId>').action(async (taskId: string) => {
    const o = cliOptions(global());
    print((await call(o, 'DELETE', '/api/v1/tasks/{taskId}', { path: { taskId } })) ?? { deleted: true }, o.json);
  });
  tasks.command('items').description('A task’s items and their statuses').argument('<taskId>').option('--status <status>', 'pending | done | a status').option('--all').action(async (taskId: string, f: { status?: string; all?: boolean }) => {
    const o = cliOptions(global());
    print(await pages(o, '/api/v1/tasks/{taskId}/items', { taskId }, { status: f.status }, f.all), o.json, ['itemId', 'status', 'done', 'workerId', 'openIssues']);
  });
}

export function statusesCommand(global: Global) {
  const statuses = new Command('statuses').description('Item statuses in a task');
  statuses.command('set').argument('<taskId>').argument('<itemId>').argument('<status>', 'e.g. completed').action(async (taskId: string, itemId: string, status: string) => {
    const o = cliOptions(global());
    print(await call(o, 'PUT', '/api/v1/tasks/{taskId}/items/{itemId}/status', { path: { taskId, itemId }, body: { status } }), o.json, ['itemId', 'status', 'done', 'finishedAt']);
  });
  statuses.command('remove').argument('<taskId>').argument('<itemId>').action(async (taskId: string, itemId: string) => {
    const o = cliOptions(global());
    print(await call(o, 'DELETE', '/api/v1/tasks/{taskId}/items/{itemId}/status', { path: { taskId, itemId } }), o.json, ['itemId', 'status', 'done']);
  });
  return statuses;
}

export function annotationsCommand(global: Global) {
  const annotations = new Command('annotations').description('Annotations of items in a task');
  annotations.command('set').description('Save your annotation (a new version)').argument('<taskId>').argument('<itemId>').argument('<shapes>', 'JSON array of shapes: inline, a file, @file or -').action(async (taskId: string, itemId: string, shapes: string) => {
    const o = cliOptions(global());
    const value = jsonArg(shapes);
    const body = Array.isArray(value) ? { shapes: value } : value;
    print(await call(o, 'PUT', '/api/v1/tasks/{taskId}/items/{itemId}/annotations', { path: { taskId, itemId }, body }), o.json, ['id', 'itemId', 'authorId', 'version']);
  });
  annotations.command('get').argument('<taskId>').argument('<itemId>').action(async (taskId: string, itemId: string) => {
    const o = cliOptions(global());
    const result = await call<Row>(o, 'GET', '/api/v1/tasks/{taskId}/items/{itemId}/annotations', { path: { taskId, itemId } });
    print(Array.isArray(result.data) ? (result.data as Row[]) : result, o.json);
  });
  return annotations;
}

export function issuesCommand(global: Global) {
  const issues = new Command('issues').description('Review issues on annotations');
  issues.command('open').argument('<annotationId>').argument('<comment>').action(async (annotationId: string, comment: string) => {
    const o = cliOptions(global());
    print(await call(o, 'POST', '/api/v1/annotations/{annotationId}/issues', { path: { annotationId }, body: { comment } }), o.json, ['id', 'status', 'assigneeId', 'comment']);
  });
  issues.command('list').argument('<taskId>').option('--status <status>', 'open | for_review | resolved | unresolved').action(async (taskId: string, f: { status?: string }) => {
    const o = cliOptions(global());
    print(await pages(o, '/api/v1/tasks/{taskId}/issues', { taskId }, { status: f.status }, true), o.json, ['id', 'status', 'itemId', 'assigneeId', 'comment']);
  });
  issues.command('mine').description('Issues on your annotations').action(async () => {
    const o = cliOptions(global());
    print(await pages(o, '/api/v1/me/issues', {}, {}, true), o.json, ['id', 'status', 'taskId', 'comment']);
  });
  issues.command('show').argument('<issueId>').action(async (issueId: string) => {
    const o = cliOptions(global());
    print(await call(o, 'GET', '/api/v1/issues/{issueId}', { path: { issueId } }), o.json);
  });
  issues.command('move').description('for_review (author), resolved or open (reviewer)').argument('<issueId>').argument('<status>').option('--comment <text>').action(async (issueId: string, status: string, f: { comment?: string }) => {
    const o = cliOptions(global());
    print(await call(o, 'PATCH', '/api/v1/issues/{issueId}', { path: { issueId }, body: { status, comment: f.comment } }), o.json, ['id', 'status', 'comment']);
  });
  issues.command('resolve').argument('<issueId>').option('--comment <text>').action(async (issueId: string, f: { comment?: string }) => {
    const o = cliOptions(global());
    print(await call(o, 'PATCH', '/api/v1/issues/{issueId}', { path: { issueId }, body: { status: 'resolved', comment: f.comment } }), o.json, ['id', 'status']);
  });
  return issues;
}

const hookColumns = ['id', 'url', 'events', 'enabled', 'consecutiveFailures'];

export function webhooksCommand(global: Global) {
  const webhooks = new Command('webhooks').description('Webhook subscriptions and their deliveries (managers)');
  webhooks.command('create').argument('<projectId>').argument('<url>').requiredOption('--events <list>', 'comma-separated event names, or *').option('--secret <secret>', 'signing secret (generated when absent, shown once)').action(async (projectId: string, url: string, f: { events: string; secret?: string }) => {
    const o = cliOptions(global());
    print(await call(o, 'POST', '/api/v1/projects/{projectId}/webhooks', { path: { projectId }, body: { url, events: list(f.events), secret: f.secret } }), o.json, [...hookColumns, 'secret']);
  });
  webhooks.command('list').argument('<projectId>').action(async (projectId: string) => {
    const o = cliOptions(global());
    print(await pages(o, '/api/v1/projects/{projectId}/webhooks', { projectId }, {}, true), o.json, hookColumns);
  });
  webhooks.command('get').argument('<webhookId>').action(async (webhookId: string) => {
    const o = cliOptions(global());
    print(await call(o, 'GET', '/api/v1/webhooks/{webhookId}', { path: { webhookId } }), o.json, [...hookColumns, 'disabledReason']);
  });
  webhooks.command('update').argument('<webhookId>').option('--url <url>').option('--events <list>').option('--secret <secret>').option('--enable').option('--disable').action(async (webhookId: string, f: { url?: string; events?: string; secret?: string; enable?: boolean; disable?: boolean }) => {
    const o = cliOptions(global());
    const body = { url: f.url, events: f.events ? list(f.events) : undefined, secret: f.secret, enabled: f.enable ? true : f.disable ? false : undefined };
    print(await call(o, 'PATCH', '/api/v1/webhooks/{webhookId}', { path: { webhookId }, body }), o.json, hookColumns);
  });
  webhooks.command('delete').argument('<webhookId>').action(async (webhookId: string) => {
    const o = cliOptions(global());
    await call(o, 'DELETE', '/api/v1/webhooks/{webhookId}', { path: { webhookId } });
    print({ deleted: webhookId }, o.json);
  });
  webhooks.command('deliveries').argument('<webhookId>').option('--status <status>', 'pending | retrying | succeeded | failed').action(async (webhookId: string, f: { status?: string }) => {
    const o = cliOptions(global());
    print(await pages(o, '/api/v1/webhooks/{webhookId}/deliveries', { webhookId }, { status: f.status }), o.json, ['id', 'eventType', 'status', 'attempt', 'responseCode', 'durationMs', 'error']);
  });
  webhooks.command('test').description('Send a signed webhook.test event').argument('<webhookId>').action(async (webhookId: string) => {
    const o = cliOptions(global());
    print(await call(o, 'POST', '/api/v1/webhooks/{webhookId}/test', { path: { webhookId } }), o.json, ['id', 'eventType', 'status']);
  });
  return webhooks;
}

export function notificationsCommand(global: Global) {
  const notifications = new Command('notifications').description('Your in-app notifications');
  notifications.command('list').option('--unread', 'only unread').action(async (f: { unread?: boolean }) => {
    const o = cliOptions(global());
    print(await pages(o, '/api/v1/me/notifications', {}, { unread: f.unread ? 'true' : undefined }), o.json, ['id', 'type', 'subjectKind', 'subjectId', 'read', 'createdAt']);
  });
  notifications.command('count').description('Unread notifications').action(async () => {
    const o = cliOptions(global());
    print(await call(o, 'GET', '/api/v1/me/notifications/count'), o.json);
  });
  notifications.command('read').description('Mark read: the given ids, or --all').argument('[ids...]').option('--all').action(async (ids: string[], f: { all?: boolean }) => {
    if (!f.all && !ids.length) throw new UsageError('give notification ids or --all');
    const o = cliOptions(global());
    print(await call(o, 'POST', '/api/v1/me/notifications/read', { body: f.all ? { all: true } : { ids } }), o.json);
  });
  return notifications;
}
