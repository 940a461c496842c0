/**
 * Evaluators bench (docs/benchmarks.md, "Evaluators"): spans evaluated per second by the
 * continuous path with a code evaluator, and the per-span overhead of the LLM judge path against
 * a local stub that answers at once. `BENCH_EVAL_SPANS` (default 100000) spans in traces of two
 * (a CHAIN root and an LLM child); `BENCH_DATABASE_URL` for PostgreSQL, else in-memory PGlite.
 *
 *   BENCH_EVAL_SPANS=10000 npx tsx bench/evaluators.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../src/api/app.ts';
import { createUser } from '../src/auth/auth.service.ts';
import { openDb } from '../src/db/client.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { jobDefinitions } from '../src/main/job-definitions.ts';
import { PgBossQueue } from '../src/jobs/jobs.ts';
import { createProject } from '../src/projects/projects.service.ts';
import { writeSpans } from '../src/traces/ingest.service.ts';
import type { SpanInput } from '../src/traces/otlp-decode.ts';
import { continuousTick } from '../src/evaluators/continuous.ts';
import { executeRun } from '../src/evaluators/eval-runner.ts';
import { createEvaluator } from '../src/evaluators/evaluators.service.ts';
import { createEvalTask } from '../src/evaluators/eval-tasks.service.ts';
import { llmSettingsFromEnv } from '../src/evaluators/llm-port.ts';

const total = Number(process.env.BENCH_EVAL_SPANS ?? 100_000);
const llmSpans = Number(process.env.BENCH_EVAL_LLM_SPANS ?? Math.min(2000, total));

const stub = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: '{"label":"factual","explanation":"ok"}' } }] }));
  });
});
await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
const stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/v1`;

const database = await openDb(process.env.BENCH_DATABASE_URL ? { databaseUrl: process.env.BENCH_DATABASE_URL } : { dataDir: 'memory://' });
await runMigrations(database);
const jobs = new PgBossQueue(database, { schedule: false });
const { ctx } = await buildApp({ database, jobs, logger: false, llm: { ...llmSettingsFromEnv({ LOUPE_LLM_BASE_URL: stubUrl }), concurrency: 8 } });
await jobs.start(ctx, jobDefinitions, { work: false, schedule: false });
const admin = await createUser(ctx, null, { email: `bench-${Date.now()}@x.io`, name: 'bench', isAdmin: true, password: 'correct horse battery' });
const caller = { userId: admin.id, isAdmin: true };

async function seed(projectId: string, spans: number) {
  const start = new Date(Date.now() - 10 * 60_000);
  for (let done = 0; done < spans; ) {
    const rows: SpanInput[] = [];
    for (let i = 0; i < 1000 && done < spans; i += 2, done += 2) {
      const traceId = randomBytes(16).toString('hex');
      const rootId = randomBytes(8).toString('hex');
      const at = new Date(start.getTime() + done);
      const base = { traceId, startTime: at, endTime: new Date(at.getTime() + 5), durationMs: 5, statusCode: 'ok' as const, statusMessage: null, promptTokens: null, completionTokens: null, totalTokens: null, serviceName: 'bench', resource: {}, events: [], otelKind: 'internal' as const };
      rows.push({ ...base, spanId: rootId, parentSpanId: null, name: 'answer', spanKind: 'CHAIN', model: null, attributes: {}, inputValue: 'Capital of France?', outputValue: 'Paris' });
      rows.push({ ...base, spanId: randomBytes(8).toString('hex'), parentSpanId: rootId, name: 'llm', spanKind: 'LLM', model: 'gpt-bench', attributes: {}, inputValue: 'Capital of France?', outputValue: i % 10 ? 'Paris' : 'Lyon' });
    }
    await writeSpans(ctx.db, projectId, rows, new Date(Date.now() - 60_000));
  }
}

/** Ticks and runs until the continuous path has nothing left; returns the seconds it took. */
async function drain() {
  const t0 = performance.now();
  for (;;) {
    const runs = await continuousTick(ctx);
    if (!runs.length) break;
    for (const id of runs) await executeRun(ctx, id);
  }
  return (performance.now() - t0) / 1000;
}

async function scenario(spans: number, kind: 'code' | 'llm') {
  const project = await createProject(ctx, caller, { name: `bench-${kind}-${Date.now()}` });
  const t0 = performance.now();
  await seed(project.id, spans);
  const seedS = (performance.now() - t0) / 1000;
  const evaluator =
    kind === 'code'
      ? await createEvaluator(ctx, caller, project.id, { name: 'paris', kind: 'code', check: 'contains', params: { value: 'Paris' } })
      : await createEvaluator(ctx, caller, project.id, { name: 'judge', kind: 'llm', model: 'stub', template: 'Q: {{input}} A: {{output}}', labels: { factual: 1, hallucinated: 0 } });
  await createEvalTask(ctx, caller, project.id, { name: 'bench', evaluatorIds: [evaluator.id], target: { kind: 'spans' }, samplingRate: 1, continuous: true, quietSeconds: 0, blockAfterErrors: 20 });
  const seconds = await drain();
  return { seedS, seconds, perSecond: spans / seconds, msPerSpan: (seconds * 1000) / spans };
}

const code = await scenario(total, 'code');
console.log(`[${database.kind}] code evaluator, continuous: ${total} spans (seeded in ${code.seedS.toFixed(1)} s) evaluated in ${code.seconds.toFixed(1)} s = ${Math.round(code.perSecond)} spans/s`);
const codeSmall = await scenario(llmSpans, 'code');
const llm = await scenario(llmSpans, 'llm');
console.log(`[${database.kind}] LLM judge vs code on ${llmSpans} spans: ${llm.msPerSpan.toFixed(2)} ms/span vs ${codeSmall.msPerSpan.toFixed(2)} ms/span = ${(llm.msPerSpan - codeSmall.msPerSpan).toFixed(2)} ms overhead per span (stub answers at once, concurrency 8)`);
await jobs.stop(1000);
await database.close();
stub.close();
process.exit(0);
