import type { BenchUser, Target } from './target.ts';

/**
 * Set-up steps shared by the workloads. Objects are created through the HTTP API (so set-up
 * exercises the same code as users), except bulk rows, which are seeded with set-based SQL:
 * seeding 100,000 tasks through the API would take longer than the benchmark itself.
 */

/** A uuid v7-like id from SQL (time-ordered prefix, like `newId()`), for set-based seeding. */
export const sqlId = (g: string, baseMs: number) =>
  `(lpad(to_hex(${baseMs}::bigint + ${g}), 12, '0') || '7' || substr(md5(${g}::text || random()::text), 1, 3) || '8' || substr(md5(random()::text || ${g}::text), 1, 15))::uuid`;

export async function createProject(target: Target, name: string): Promise<string> {
  const project = await target.http.ok<{ id: string }>('POST', '/api/v1/projects', { token: target.admin.token, body: { name: `${name}-${Date.now()}` } });
  return project.id;
}

/** `count` users who are members of the project with `role`, each with an API token. */
export async function members(target: Target, projectId: string, role: string, count: number, prefix = role): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < count; i += 16) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(16, count - i) }, async (_, j) => {
        const user = await target.user(`${prefix}-${i + j}`);
        await target.http.ok('PUT', `/api/v1/projects/${projectId}/members/${user.id}`, { token: target.admin.token, body: { role } });
        return user;
      }),
    );
    users.push(...batch);
  }
  return users;
}

export async function createDataset(target: Target, projectId: string, name = 'bench'): Promise<string> {
  const dataset = await target.http.ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/datasets`, { token: target.admin.token, body: { name } });
  return dataset.id;
}

/**
 * Seeds `count` small text items into a dataset with one statement per 100,000 rows, keeping the
 * dataset's counters (`item_count`, `next_seq`) in step as an import would.
 */
/**
 * After a seed: VACUUM ANALYZE the scratch database, so the timed runs start from a settled
 * state (statistics taken, visibility map set) and autovacuum does not pick the seeded tables up
 * in the middle of the first run, which doubled that run's CPU per operation on both sides.
 */
export async function settle(target: Target) {
  await target.raw.query('vacuum analyze');
}

export async function seedItems(target: Target, projectId: string, datasetId: string, count: number) {
  const [dataset] = await target.raw.query<{ next_seq: number }>('select next_seq from datasets where id = $1', [datasetId]);
  let seq = dataset!.next_seq;
  const baseMs = Date.now();
  for (let done = 0; done < count; ) {
    const n = Math.min(100_000, count - done);
    await target.raw.query(
      `insert into items (id, project_id, dataset_id, kind, payload, metadata, seq)
       select ${sqlId('g', baseMs)}, $1, $2, 'text', jsonb_build_object('text', 'item ' || g), jsonb_build_object('bucket', g % 10), $3::bigint + g
       from generate_series(0, $4::int - 1) g`,
      [projectId, datasetId, seq, n],
    );
    seq += n;
    done += n;
  }
  await target.raw.query('update datasets set item_count = item_count + $2, next_seq = $3 where id = $1', [datasetId, count, seq]);
}

export interface TaskOptions {
  name?: string;
  type?: string;
  datasetId?: string;
  assigneeIds?: string[];
  allocation?: Record<string, unknown>;
  consensus?: { annotatorsPerItem: number };
  [key: string]: unknown;
}

export async function createTask(target: Target, projectId: string, options: TaskOptions): Promise<{ id: string; seconds: number }> {
  const t0 = performance.now();
  const task = await target.http.ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/tasks`, {
    token: target.admin.token,
    body: { name: options.name ?? 'bench task', type: options.type ?? 'labeling', ...options },
  });
  return { id: task.id, seconds: (performance.now() - t0) / 1000 };
}

/**
 * A recipe whose items may be completed without an answer (`allowEmpty`): the status-write and
 * soak workloads measure the status write itself, and a labeling task refuses a done status on
 * an item with no shapes otherwise (`empty_annotation`, docs/workflow.md). The raw baselines do
 * not save answers either.
 */
export async function emptyAnswersRecipe(target: Target, projectId: string): Promise<string> {
  const recipe = await target.http.ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/recipes`, {
    token: target.admin.token,
    body: { name: 'bench: status only', labels: [{ name: 'ok' }], tools: ['classification'], allowEmpty: true },
  });
  return recipe.id;
}

/** The routes a workload needs that the server does not document yet (empty when all landed). */
export function missingRoutes(routes: Set<string>, needed: string[]): string[] {
  return needed.filter((r) => !routes.has(r));
}

/**
 * A recipe whose items need an answer before a done status (the default: no `allowEmpty`), with
 * the one label the soak's annotators save (`{ tool: 'classification', label: 'ok' }`).
 */
export async function answersRecipe(target: Target, projectId: string): Promise<string> {
  const recipe = await target.http.ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/recipes`, {
    token: target.admin.token,
    body: { name: 'bench: one label', labels: [{ name: 'ok' }], tools: ['classification'] },
  });
  return recipe.id;
}
