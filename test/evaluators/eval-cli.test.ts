import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cliHarness, printedJson as json } from '../support/cli-harness.ts';
import { executeRun } from '../../src/evaluators/eval-runner.ts';
import { datasetProject, testCase } from './helpers.ts';

const cli = cliHarness();
const loupe = cli.loupe;

describe('loupe evaluators and eval-tasks', () => {
  it('creates and lists evaluators and tasks, starts a backfill and reads its runs and logs', async () => {
    const { project, token, datasetId } = await datasetProject(cli.t, [testCase('Paris'), testCase('Lyon')]);
    const dir = mkdtempSync(`${tmpdir()}/loupe-eval-cli-`);
    writeFileSync(`${dir}/evaluator.json`, JSON.stringify({ name: 'exact', kind: 'code', check: 'exact_match', params: {} }));
    const evaluator = json(await loupe(['--json', 'evaluators', 'create', project.id, `${dir}/evaluator.json`], token));
    expect(evaluator).toMatchObject({ name: 'exact', kind: 'code' });
    expect((await loupe(['evaluators', 'list', project.id], token)).stdout).toContain(evaluator.id);

    writeFileSync(`${dir}/task.json`, JSON.stringify({ name: 'regression', evaluatorIds: [evaluator.id], target: { kind: 'dataset', datasetId }, samplingRate: 1 }));
    const task = json(await loupe(['--json', 'eval-tasks', 'create', project.id, `${dir}/task.json`], token));
    expect(task).toMatchObject({ name: 'regression', status: 'active' });
    expect((await loupe(['eval-tasks', 'list', project.id], token)).stdout).toMatch(/regression\s+dataset\s+active/);

    const started = json(await loupe(['--json', 'eval-tasks', 'backfill', task.id], token));
    expect(started).toMatchObject({ kind: 'dataset', status: 'queued' });
    await executeRun(cli.t.ctx, started.id);
    const runs = await loupe(['eval-tasks', 'runs', task.id], token);
    expect(runs.stdout).toContain('completed');
    expect(runs.stdout).toContain('scored=2');
    const logs = await loupe(['eval-tasks', 'logs', started.id], token);
    expect(logs.stdout).toContain('Completed: 2 considered');
  }, 90_000);
});
