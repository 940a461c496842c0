import type { HttpClient } from '../../bench/support/http-client.ts';
import { CrashHarness } from '../reliability/support/crash-harness.ts';

/**
 * Several real server processes (`src/main/server.ts`, each its own child process on its own
 * port) on this run's PostgreSQL database: the reliability suite's `CrashHarness` once per
 * process, sharing its database handle and administrator. `http(i)` spreads calls over them the
 * way a load balancer without sticky sessions would.
 */
export class ServerGroup {
  private constructor(readonly processes: CrashHarness[]) {}

  static async open(n = 2): Promise<ServerGroup> {
    const first = await CrashHarness.open();
    const processes = [first, ...Array.from({ length: n - 1 }, () => new CrashHarness(first.databaseUrl, first.database, first.admin))];
    // One at a time: they share two cores with the database.
    for (const p of processes) await p.start();
    return new ServerGroup(processes);
  }

  get admin() {
    return this.processes[0]!.admin;
  }

  /** The client of process `i % n`, or of a live process when that one was killed (a load balancer's health check). */
  http(i: number): HttpClient {
    const live = (p: CrashHarness) => p.server?.child.exitCode === null && p.server.child.signalCode === null;
    const chosen = this.processes[i % this.processes.length]!;
    return (live(chosen) ? chosen : (this.processes.find(live) ?? chosen)).http!;
  }

  query<T = Record<string, any>>(text: string, params: unknown[] = []) {
    return this.processes[0]!.query<T>(text, params);
  }

  async close() {
    for (const p of this.processes) if (p.server && p.server.child.exitCode === null) await p.kill9();
    for (const p of this.processes) p.http?.close();
    await this.processes[0]!.database.close();
  }
}

export interface Member {
  id: string;
  token: string;
}

/** Set-up through the API, each call on the next process in turn. */
export class Scenario {
  private turn = 0;
  constructor(private readonly group: ServerGroup) {}

  private next() {
    return this.group.http(this.turn++);
  }

  ok<T = any>(method: string, path: string, options: Parameters<HttpClient['request']>[2] = {}) {
    return this.next().ok<T>(method, path, { token: this.group.admin.token, ...options });
  }

  async project(name: string) {
    return (await this.ok<{ id: string }>('POST', '/api/v1/projects', { body: { name: `${name}-${Date.now()}` } })).id;
  }

  async dataset(projectId: string, items: number, line: (i: number) => object = (i) => ({ kind: 'text', payload: { text: `item ${i}` } })) {
    const id = (await this.ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/datasets`, { body: { name: `d-${Date.now()}` } })).id;
    const raw = Array.from({ length: items }, (_, i) => JSON.stringify(line(i))).join('\n');
    await this.ok('POST', `/api/v1/datasets/${id}/items`, { raw, contentType: 'application/x-ndjson' });
    return id;
  }

  async members(projectId: string, role: string, n: number): Promise<Member[]> {
    const out: Member[] = [];
    for (let i = 0; i < n; i++) {
      const user = await this.ok<{ id: string }>('POST', '/api/v1/users', { body: { email: `so-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`, name: `${role} ${i}` } });
      const { token } = await this.ok<{ token: string }>('POST', `/api/v1/users/${user.id}/tokens`, { body: { name: 't' } });
      await this.ok('PUT', `/api/v1/projects/${projectId}/members/${user.id}`, { body: { role } });
      out.push({ id: user.id, token });
    }
    return out;
  }

  /** A recipe whose items may be set to a status with no answer (docs/workflow.md). */
  async emptyAnswersRecipe(projectId: string) {
    return (await this.ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/recipes`, { body: { name: 'empty answers', labels: [{ name: 'x' }], tools: ['classification'], allowEmpty: true } })).id;
  }

  async task(projectId: string, body: Record<string, unknown>) {
    return (await this.ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/tasks`, { body: { type: 'labeling', ...body } })).id;
  }
}

interface Counts {
  items: number;
  done: number;
  withStatus: number;
}

/**
 * The task's and its assignments' counters as the API answers them, beside a recount of its
 * units: every mismatch, as text (empty when they agree).
 */
export async function counterMismatches(group: ServerGroup, taskId: string): Promise<string[]> {
  const token = group.admin.token;
  const task = await group.http(0).ok<{ counts: Counts }>('GET', `/api/v1/tasks/${taskId}`, { token });
  const assignments = (await group.http(1).ok<{ data: Array<{ id: string; counts: Counts }> }>('GET', `/api/v1/tasks/${taskId}/assignments`, { token })).data;
  const recount = await group.query<{ whole: boolean; assignment_id: string | null; items: number; done: number; with_status: number }>(
    `select grouping(assignment_id) = 1 as whole, assignment_id, count(*)::int as items, count(*) filter (where done)::int as done,
            count(*) filter (where status is not null)::int as with_status
     from task_items where task_id = $1 group by rollup (assignment_id)`,
    [taskId],
  );
  const total = recount.find((r) => r.whole);
  const byAssignment = new Map(recount.filter((r) => !r.whole && r.assignment_id).map((r) => [r.assignment_id!, r]));
  const problems: string[] = [];
  const compare = (what: string, c: Counts, r: { items: number; done: number; with_status: number } | undefined) => {
    const want = { items: r?.items ?? 0, done: r?.done ?? 0, withStatus: r?.with_status ?? 0 };
    const got = { items: c.items, done: c.done, withStatus: c.withStatus };
    if (JSON.stringify(want) !== JSON.stringify(got)) problems.push(`${what}: counters ${JSON.stringify(got)}, recount ${JSON.stringify(want)}`);
  };
  compare(`task ${taskId}`, task.counts, total);
  for (const a of assignments) compare(`assignment ${a.id}`, a.counts, byAssignment.get(a.id));
  return problems;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
