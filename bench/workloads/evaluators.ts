/**
 * Evaluators (docs/benchmarks.md, "Evaluators"): spans evaluated per second by the continuous
 * path with a code evaluator (`BENCH_EVAL_SPANS`, default 100,000; 10,000 with BENCH_QUICK=1), in
 * traces of two (a CHAIN root and an LLM child), beside one raw SQL statement doing the same work
 * (the `contains` check and the result rows) on the same database; and the per-span overhead of
 * the LLM judge path against a local stub that answers at once (`BENCH_EVAL_LLM_SPANS`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Ctx } from '../../src/context.ts';
import { evalRuns } from '../../src/evaluators/evaluators.table.ts';
import { writeSpans } from '../../src/traces/ingest.service.ts';
import type { SpanInput } from '../../src/traces/otlp-decode.ts';
import { continuousTick } from '../../src/evaluators/continuous.ts';
import { executeRun } from '../../src/evaluators/eval-runner.ts';
import { createEvaluator } from '../../src/evaluators/evaluators.service.ts';
import { createEvalTask } from '../../src/evaluators/eval-tasks.service.ts';
import { llmSettingsFromEnv } from '../../src/evaluators/llm-port.ts';
import { throughputRow, type ResultRow } from '../support/report.ts';
import type { Target } from '../support/target.ts';

async function seed(ctx: Ctx, projectId: string, spans: number) {
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

/**
 * Ticks and runs until the continuous path has nothing left; returns the seconds it took. The
 * target's job workers may take a run before this loop does (then `executeRun` returns at once):
 * each run is waited for until it ends, so the clock covers all the work.
 */
async function drain(ctx: Ctx) {
  const t0 = performance.now();
  for (;;) {
    const runs = await continuousTick(ctx);
    if (!runs.length) break;
    for (const id of runs) {
      await executeRun(ctx, id);
      while ((await ctx.db.select({ status: evalRuns.status }).from(evalRuns).where(eq(evalRuns.id, id)))[0]?.status.match(/^(queued|running)$/)) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  return (performance.now() - t0) / 1000;
}

async function scenario(ctx: Ctx, caller: { userId: string; isAdmin: boolean }, spans: number, kind: 'code' | 'llm') {
  const project = await createProject(ctx, caller, kind, spans);
  await seed(ctx, project, spans);
  const evaluator =
    kind === 'code'
      ? await createEvaluator(ctx, caller, project, { name: 'paris', kind: 'code', check: 'contains', params: { value: 'Paris' } })
      : await createEvaluator(ctx, caller, project, { name: 'judge', kind: 'llm', model: 'stub', template: 'Q: {{input}} A: {{output}}', labels: { factual: 1, hallucinated: 0 } });
  const task = await createEvalTask(ctx, caller, project, { name: 'bench', evaluatorIds: [evaluator.id], target: { kind: 'spans' }, samplingRate: 1, continuous: true, quietSeconds: 0, blockAfterErrors: 20 });
  const seconds = await drain(ctx);
  return { projectId: project, evaluatorId: evaluator.id, taskId: task.id, seconds, perSecond: spans / seconds, msPerSpan: (seconds * 1000) / spans };
}

async function createProject(ctx: Ctx, caller: { userId: string; isAdmin: boolean }, kind: string, spans: number) {
  const { createProject: create } = await import('../../src/projects/projects.service.ts');
  return (await create(ctx, caller, { name: `bench-eval-${kind}-${spans}-${Date.now()}` })).id;
}

/**
 * The same work in raw SQL: read each span's output, apply `contains` and insert one result per
 * span, on a copy of the seeded spans' keys (another task id, so the unique key lets it in).
 */
async function rawEvaluate(target: Target, projectId: string, evaluatorId: string, taskId: string) {
  const t0 = performance.now();
  const rows = await target.raw.query<{ n: number }>(
    `with ins as (
       insert into eval_results (id, project_id, task_id, run_id, evaluator_id, subject_kind, subject_key, trace_id, span_id, label, score, passed, explanation)
       select gen_random_uuid(), s.project_id, $2::uuid, gen_random_uuid(), $3::uuid, 'span', s.trace_id || ':' || s.span_id || ':raw', s.trace_id, s.span_id,
         case when s.output_value like '%Paris%' then 'pass' else 'fail' end, case when s.output_value like '%Paris%' then 1 else 0 end,
         s.output_value like '%Paris%', 'contains "Paris"'
       from spans s where s.project_id = $1::uuid
       returning 1)
     select count(*)::int as n from ins`,
    [projectId, taskId, evaluatorId],
  );
  return { seconds: (performance.now() - t0) / 1000, n: rows[0]!.n };
}

export async function evaluatorsWorkload(target: Target): Promise<ResultRow[]> {
  const quick = process.env.BENCH_QUICK === '1';
  const total = Number(process.env.BENCH_EVAL_SPANS ?? (quick ? 10_000 : 100_000));
  const llmSpans = Number(process.env.BENCH_EVAL_LLM_SPANS ?? Math.min(quick ? 500 : 2000, total));
  const stub = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: '{"label":"factual","explanation":"ok"}' } }] }));
    });
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  try {
    const stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/v1`;
    const ctx: Ctx = { ...target.built.ctx, llm: { ...llmSettingsFromEnv({ LOUPE_LLM_BASE_URL: stubUrl }), concurrency: 8 } };
    const caller = { userId: target.admin.id, isAdmin: true };
    const code = await scenario(ctx, caller, total, 'code');
    const raw = await rawEvaluate(target, code.projectId, code.evaluatorId, code.taskId);
    const codeSmall = await scenario(ctx, caller, llmSpans, 'code');
    const llm = await scenario(ctx, caller, llmSpans, 'llm');
    const overhead = llm.msPerSpan - codeSmall.msPerSpan;
    console.log(`  [${target.kind}] evaluators: code ${Math.round(code.perSecond)} spans/s (${total} spans), raw SQL ${Math.round(raw.n / raw.seconds)} /s; LLM ${llm.msPerSpan.toFixed(2)} vs code ${codeSmall.msPerSpan.toFixed(2)} ms/span`);
    return [
      throughputRow(target.kind, `evaluators, code check, continuous (spans evaluated/s)`, code.perSecond, raw.n / raw.seconds, {
        note: `${total} spans in traces of 2; raw = one INSERT … SELECT applying the same check`,
      }),
      {
        target: target.kind,
        workload: 'evaluators, LLM judge overhead per span (stub answers at once)',
        unit: 'ms',
        loupe: overhead,
        raw: null,
        ratio: null,
        note: `${llmSpans} spans: LLM ${llm.msPerSpan.toFixed(2)} ms/span vs code ${codeSmall.msPerSpan.toFixed(2)} ms/span, concurrency 8`,
      },
    ];
  } finally {
    await new Promise<void>((r) => stub.close(() => r()));
  }
}
