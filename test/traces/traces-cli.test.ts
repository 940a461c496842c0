import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { exportSpans, llmTrace, protoExporter } from './otel-client.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/loupe.mjs', import.meta.url));

let t: TestApp;
let url: string;
beforeAll(async () => {
  t = await createTestApp();
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t?.close());

const loupe = (args: string[], token: string) =>
  run(process.execPath, [bin, ...args], { env: { ...process.env, LOUPE_URL: url, LOUPE_TOKEN: token } }).catch((error: { code: number; stdout: string; stderr: string }) => error);
const json = (result: { stdout: string; stderr: string }) => {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`the command printed no JSON; stderr: ${result.stderr}`);
  }
};

describe('loupe traces', () => {
  it('makes an ingest token the SDK exports with, lists traces and spans, shows the span tree and adds spans to a dataset', async () => {
    const p = await t.project();
    const token = p.owner.token;
    const created = json(await loupe(['--json', 'traces', 'create-token', p.id, 'prod'], token));
    expect(created).toMatchObject({ name: 'prod', token: expect.any(String) });
    const spans = llmTrace({ model: 'gpt-4o-mini', input: 'Capital of France?', output: 'Paris' });
    expect(await exportSpans(protoExporter(url, created.token), spans)).toEqual({ ok: true });
    const traceId = spans[0]!.spanContext().traceId;

    const tokens = await loupe(['traces', 'tokens', p.id], token);
    expect(tokens.stdout).toContain(created.id);
    expect(tokens.stdout).not.toContain(created.token);

    const list = await loupe(['traces', 'list', p.id], token);
    expect(list.stdout).toMatch(new RegExp(`${traceId}\\s+answer-question`));
    const llmSpans = json(await loupe(['--json', 'traces', 'spans', p.id, '--span-kind', 'LLM'], token));
    expect(llmSpans).toEqual([expect.objectContaining({ traceId, name: 'llm-call', model: 'gpt-4o-mini' })]);
    expect(json(await loupe(['--json', 'traces', 'spans', p.id, '--model', 'nope'], token))).toEqual([]);

    const tree = (await loupe(['traces', 'show', p.id, traceId], token)).stdout;
    expect(tree).toContain(`trace ${traceId}  3 spans`);
    // The LLM call is drawn under its root, one level deeper.
    expect(tree).toMatch(/\n {2}answer-question \[CHAIN\][^\n]*\n(?: {4}[^\n]*\n)* {4}llm-call \[LLM\][^\n]*gpt-4o-mini/);

    const dataset = await t.post(`/api/v1/projects/${p.id}/datasets`, { name: 'from traces' }, { token });
    const added = json(await loupe(['--json', 'traces', 'to-dataset', p.id, dataset.body.id, '--filter', '{"field":"spanKind","op":"eq","value":"LLM"}'], token));
    expect(added).toEqual({ matched: 1, created: 1, existing: 0 });

    const revoked = await loupe(['traces', 'revoke-token', p.id, created.id], token);
    expect(revoked.stdout).toContain(created.id);
    expect(await exportSpans(protoExporter(url, created.token), llmTrace())).toMatchObject({ ok: false });

    const stranger = await t.project();
    const refused = await loupe(['traces', 'list', p.id], stranger.owner.token);
    expect((refused as { code?: number }).code).not.toBe(0);
  }, 120_000);
});
