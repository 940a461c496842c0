import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cliHarness, printedJson as json } from '../support/cli-harness.ts';

const cli = cliHarness();
const loupe = cli.loupe;

describe('the loupe CLI', () => {
  it('creates and lists projects over HTTP, as a table or as JSON', async () => {
    const user = await cli.t.user();
    const created = await loupe(['--json', 'projects', 'create', 'From the CLI'], user.token);
    const project = json(created);
    expect(project).toMatchObject({ name: 'From the CLI', role: 'owner' });
    const table = await loupe(['projects', 'list'], user.token);
    expect(table.stdout).toMatch(/^id\s+name\s+role/);
    expect(table.stdout).toContain(project.id);
  }, 60_000);

  it('prints the server’s problem as a readable message and exits 2', async () => {
    const user = await cli.t.user();
    const result = await loupe(['projects', 'summary', '00000000-0000-7000-8000-000000000000'], user.token);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^loupe: Not Found: .*\(not_found\)/);
  }, 60_000);

  it('streams a JSON Lines file into a dataset, then creates a pulling task and pulls from it', async () => {
    const user = await cli.t.user();
    const project = json(await loupe(['--json', 'projects', 'create', 'CLI work'], user.token));
    const dataset = json(await loupe(['--json', 'datasets', 'create', project.id, 'texts'], user.token));
    const dir = mkdtempSync(`${tmpdir()}/loupe-cli-`);
    const file = `${dir}/items.jsonl`;
    writeFileSync(file, Array.from({ length: 250 }, (_, i) => JSON.stringify({ externalId: `t${i}`, kind: 'text', payload: { text: `line ${i}` } })).join('\n'));
    const imported = await loupe(['items', 'import', dataset.id, file], user.token);
    expect(imported.stdout).toContain('created 250, updated 0, failed 0');

    writeFileSync(`${dir}/task.json`, JSON.stringify({ name: 'Pull me', type: 'labeling', datasetId: dataset.id, assigneeIds: [user.id], allocation: { method: 'pulling', batchSize: 3 } }));
    const task = json(await loupe(['--json', 'tasks', 'create', project.id, `${dir}/task.json`], user.token));
    expect(task.progress.total).toBe(250);
    const pulled = json(await loupe(['--json', 'tasks', 'pull', task.id], user.token));
    expect(pulled).toHaveLength(3);
    const listed = await loupe(['tasks', 'list', project.id], user.token);
    expect(listed.stdout).toContain('Pull me');
  }, 90_000);

  it('reports each bad line of a refused import', async () => {
    const user = await cli.t.user();
    const project = json(await loupe(['--json', 'projects', 'create', 'CLI bad'], user.token));
    const dataset = json(await loupe(['--json', 'datasets', 'create', project.id, 'texts'], user.token));
    const file = `${mkdtempSync(`${tmpdir()}/loupe-cli-`)}/bad.jsonl`;
    writeFileSync(file, `${JSON.stringify({ kind: 'text', payload: { text: 'ok' } })}\n{not json}\n`);
    const result = await loupe(['items', 'import', dataset.id, file], user.token);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('(invalid_import)');
    expect(result.stderr).toMatch(/line 2: /);
  }, 60_000);
});
