import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { executeRun, MAX_RUN_ATTEMPTS, recoverStaleRuns } from '../../src/evaluators/eval-runner.ts';
import { createEvalTask, createEvaluator, datasetProject, decisions, stubSettings, testCase } from './helpers.ts';
import { startLlmStub, type LlmStub } from './llm-stub.ts';

/**
 * Runs whose process dies. A process that stops mid-run leaves its run `running`, its committed
 * batches (results, decisions, counts, progress) and a heartbeat that no longer moves. Here the
 * "death" is an execution stuck on an LLM call that never answers (`cue:hold`): from the
 * database's point of view that is exactly a dead process, and it lets the test also check the
 * harder case, a presumed-dead execution that wakes up after its run was resumed elsewhere.
 */
let t: TestApp;
let stub: LlmStub;
beforeAll(async () => {
  stub = await startLlmStub();
  t = await createTestApp({ llm: stubSettings(stub.url, { timeoutMs: 60_000 }) });
});
afterAll(async () => {
  stub?.release();
  await t?.close();
  await stub?.close();
});

const until = async (what: string, check: () => Promise<boolean>) => {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};

async function heldRun(token: string, projectId: string, datasetId: string) {
  const judge = await createEvaluator(t, projectId, token, { name: 'judge', kind: 'llm', model: 'm', template: 'Judge {{output}}', labels: { factual: 1, hallucinated: 0 } });
  const taskId = await createEvalTask(t, projectId, token, { name: 'recover', evaluatorIds: [judge], target: { kind: 'dataset', datasetId } });
  const started = await t.post(`/api/v1/eval-tasks/${taskId}/backfill`, {}, { token });
  expect(started.status).toBe(202);
  return { taskId, runId: started.body.id as string };
}

describe('runs whose process died', () => {
  it('are resumed after their last committed batch: nothing scored twice, the stale execution writes nothing', async () => {
    stub.holding = true;
    // Items are read in id (= import) order; batches of 3: the second batch holds on the judge.
    const lines = [...['a', 'b', 'c'].map((x) => testCase(`Paris ${x}`)), ...['d', 'e', 'f'].map((x) => testCase(`Paris ${x} cue:hold`))];
    const { project, token, datasetId, itemIds } = await datasetProject(t, lines);
    const { runId } = await heldRun(token, project.id, datasetId);
    const promptsBefore = stub.prompts.length;

    const dead = executeRun(t.ctx, runId, 3);
    await until('the first batch to commit and the second to hang', async () => stub.held === 3 && (await t.get(`/api/v1/eval-runs/${runId}`, { token })).body.counts.scored === 3);
    const stuck = (await t.get(`/api/v1/eval-runs/${runId}`, { token })).body;
    expect(stuck.status).toBe('running');

    // A live heartbeat (younger than the stale limit) is left alone.
    expect(await recoverStaleRuns(t.ctx, 60_000)).toEqual({ resumed: [], failed: [] });
    // Its process "died": the sweep queues it again as the next attempt.
    await new Promise((r) => setTimeout(r, 5));
    expect(await recoverStaleRuns(t.ctx, 1)).toEqual({ resumed: [runId], failed: [] });
    // A second sweeper at the same time finds nothing left to resume.
    expect(await recoverStaleRuns(t.ctx, 1)).toEqual({ resumed: [], failed: [] });
    expect((await t.get(`/api/v1/eval-runs/${runId}`, { token })).body.status).toBe('queued');

    // The presumed-dead execution wakes up: its batch is refused by the fence, it writes nothing.
    stub.release();
    await dead;
    const afterWake = (await t.get(`/api/v1/eval-runs/${runId}`, { token })).body;
    expect(afterWake.status).toBe('queued');
    expect(afterWake.counts.scored).toBe(3);

    // The resumed attempt starts after the committed batch: only d, e, f reach the judge again.
    const before = stub.prompts.length;
    await executeRun(t.ctx, runId, 3);
    const resumedPrompts = stub.prompts.slice(before);
    expect(resumedPrompts).toHaveLength(3);
    expect(resumedPrompts.every((p) => p.includes('cue:hold'))).toBe(true);
    expect(stub.prompts.slice(promptsBefore).filter((p) => p.includes('Paris a'))).toHaveLength(1);

    const run = (await t.get(`/api/v1/eval-runs/${runId}`, { token })).body;
    expect(run.status).toBe('completed');
    expect(run.counts).toMatchObject({ scored: 6, duplicate: 0, error: 0 });
    const all = await decisions(t, runId, token);
    expect(all.map((d) => d.itemId).sort()).toEqual([...itemIds].sort());
    const results = (await t.get(`/api/v1/eval-runs/${runId}/results`, { token, query: { limit: 100 } })).body.data;
    expect(results.map((r: any) => r.itemId).sort()).toEqual([...itemIds].sort());
    expect(results.every((r: any) => r.checks.length === 1)).toBe(true);
    const logs = (await t.get(`/api/v1/eval-runs/${runId}/logs`, { token, query: { limit: 100 } })).body.data.map((l: any) => l.message);
    expect(logs.some((m: string) => m.includes('queued again to resume'))).toBe(true);
    expect(logs.some((m: string) => m.includes('resuming after 3 considered'))).toBe(true);
  });

  it(`fail honestly after ${MAX_RUN_ATTEMPTS} attempts, keeping what they scored`, async () => {
    stub.holding = true;
    const { project, token, datasetId } = await datasetProject(t, [testCase('Paris ok'), testCase('Paris cue:hold')]);
    const { runId } = await heldRun(token, project.id, datasetId);
    const stale: Array<Promise<void>> = [];
    for (let attempt = 1; attempt <= MAX_RUN_ATTEMPTS; attempt++) {
      const heldBefore = stub.held;
      stale.push(executeRun(t.ctx, runId, 1));
      await until(`attempt ${attempt} to hang`, async () => stub.held === heldBefore + 1);
      await new Promise((r) => setTimeout(r, 5));
      const swept = await recoverStaleRuns(t.ctx, 1);
      expect(swept).toEqual(attempt < MAX_RUN_ATTEMPTS ? { resumed: [runId], failed: [] } : { resumed: [], failed: [runId] });
    }
    stub.release();
    await Promise.all(stale);
    const run = (await t.get(`/api/v1/eval-runs/${runId}`, { token })).body;
    expect(run.status).toBe('failed');
    expect(run.endedAt).not.toBeNull();
    expect(run.counts.scored).toBe(1);
    const logs = (await t.get(`/api/v1/eval-runs/${runId}/logs`, { token, query: { limit: 100 } })).body.data.map((l: any) => l.message);
    expect(logs.some((m: string) => m.includes(`stopped ${MAX_RUN_ATTEMPTS} times`))).toBe(true);
    // A failed run is not picked up again.
    expect(await recoverStaleRuns(t.ctx, 1)).toEqual({ resumed: [], failed: [] });
  });
});
