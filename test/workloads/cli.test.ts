import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cliHarness, printedJson as json } from '../support/cli-harness.ts';
import { setup, workloadBody } from './helpers.ts';

const cli = cliHarness();
const loupe = cli.loupe;

describe('loupe workloads', () => {
  it('creates, lists, shows, lists cycles, deactivates and archives a workload over HTTP', async () => {
    const s = await setup(cli.t);
    const token = s.owner.token;
    const file = `${mkdtempSync(`${tmpdir()}/loupe-wl-`)}/workload.json`;
    writeFileSync(file, JSON.stringify(workloadBody(s, { name: 'CLI QA' })));
    const created = json(await loupe(['--json', 'workloads', 'create', s.projectId, file], token));
    expect(created).toMatchObject({ name: 'CLI QA', status: 'active', currentCycle: { status: 'in_progress', target: 4 } });
    const table = await loupe(['workloads', 'list', s.projectId], token);
    expect(table.stdout).toMatch(/^id\s+name\s+status\s+autoQa\s+repeats\s+target\s+cycle/);
    expect(table.stdout).toContain('daily (UTC)');
    expect(table.stdout).toContain('0/4 done, 0 skipped');
    expect(json(await loupe(['--json', 'workloads', 'show', created.id], token)).id).toBe(created.id);
    const cycles = await loupe(['workloads', 'cycles', created.id], token);
    expect(cycles.stdout).toContain(created.currentCycle.id);
    expect(cycles.stdout).toContain('in_progress');
    expect(json(await loupe(['--json', 'workloads', 'deactivate', created.id], token)).status).toBe('inactive');
    expect(json(await loupe(['--json', 'workloads', 'archive', created.id], token)).status).toBe('archived');
    expect(json(await loupe(['--json', 'workloads', 'list', s.projectId, '--status', 'archived'], token)).map((w: any) => w.id)).toEqual([created.id]);
    const refused = await loupe(['workloads', 'show', created.id], s.evaluators[0]!.token);
    expect(refused.code).toBe(2); // refused by the server (docs/cli.md exit codes)
    expect(refused.stderr).toMatch(/forbidden/);
  }, 120_000);
});
