import { describe, expect, it } from 'vitest';
import { createLoupeClient, idempotent, idempotencyKey, LoupeProblem, paginate, unwrap } from '../../sdk/index.ts';
import { cliHarness } from '../support/cli-harness.ts';

/** The SDK's helpers (docs/sdk.md) against a listening server, over real HTTP. */
const server = cliHarness();

describe('the SDK', () => {
  it('pages through a list with paginate(), every row once and in order', async () => {
    const { id: projectId, owner } = await server.t.project();
    const loupe = createLoupeClient(server.url, { token: owner.token });
    const dataset = unwrap(await loupe.POST('/api/v1/projects/{projectId}/datasets', { params: { path: { projectId } }, body: { name: 'pages' } }));
    const lines = Array.from({ length: 23 }, (_, i) => JSON.stringify({ kind: 'text', externalId: `p${i}`, payload: { text: `row ${i}` } })).join('\n') + '\n';
    const imported = await fetch(`${server.url}/api/v1/datasets/${dataset.id}/items`, { method: 'POST', headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/x-ndjson' }, body: lines });
    expect(imported.status).toBeLessThan(300);
    const pages: Array<string | undefined> = [];
    const seen: string[] = [];
    for await (const item of paginate((cursor) => {
      pages.push(cursor);
      return loupe.GET('/api/v1/datasets/{datasetId}/items', { params: { path: { datasetId: dataset.id }, query: { cursor, limit: 5 } } });
    })) {
      seen.push(item.externalId!);
    }
    expect(pages).toHaveLength(5); // 5 + 5 + 5 + 5 + 3
    expect(pages[0]).toBeUndefined();
    expect(new Set(seen).size).toBe(23);
    expect([...seen].sort()).toEqual(Array.from({ length: 23 }, (_, i) => `p${i}`).sort());
  }, 60_000);

  it('throws a LoupeProblem carrying the server’s code and status', async () => {
    const { owner } = await server.t.project();
    const loupe = createLoupeClient(server.url, { token: owner.token });
    const failing = paginate((cursor) => loupe.GET('/api/v1/projects/{projectId}/tasks', { params: { path: { projectId: '00000000-0000-7000-8000-000000000000' }, query: { cursor } } }));
    const error = await failing.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LoupeProblem);
    expect(error).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('sends an idempotency key so a retried create answers the first result', async () => {
    const owner = await server.t.user();
    const loupe = createLoupeClient(server.url, { token: owner.token });
    const key = idempotencyKey();
    const [a, b] = await Promise.all([loupe.POST('/api/v1/projects', { body: { name: 'Once only' }, ...idempotent(key) }), loupe.POST('/api/v1/projects', { body: { name: 'Once only' }, ...idempotent(key) })]);
    const first = unwrap(a);
    expect(unwrap(b).id).toBe(first.id);
    const listed = unwrap(await loupe.GET('/api/v1/projects', { params: { query: { limit: 100 } } }));
    expect(listed.data.filter((p) => p.name === 'Once only')).toHaveLength(1);
    // Another body under the same key is refused.
    const reused = await loupe.POST('/api/v1/projects', { body: { name: 'Something else' }, ...idempotent(key) });
    expect(() => unwrap(reused)).toThrow(LoupeProblem);
    expect(reused.response.status).toBe(422);
  }, 60_000);
});
