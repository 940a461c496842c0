import type { AddressInfo } from 'node:net';
import { context, trace, SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { continuousTick } from '../../src/evaluators/continuous.ts';
import { executeRun } from '../../src/evaluators/eval-runner.ts';
import { createEvalTask, createEvaluator, decisions, stubSettings } from './helpers.ts';
import { startLlmStub, type LlmStub } from './llm-stub.ts';

let t: TestApp;
let stub: LlmStub;
let base: string;
beforeAll(async () => {
  stub = await startLlmStub();
  t = await createTestApp({ llm: stubSettings(stub.url) });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t?.close();
  await stub?.close();
});

/** Sends traces of a chat agent (a CHAIN root and an LLM child) with the OpenTelemetry SDK's OTLP exporter. */
async function sendTraces(token: string, answers: string[]) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agent' }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces`, headers: { authorization: `Bearer ${token}` } }))],
  });
  const tracer = provider.getTracer('eval-tests');
  const traceIds: string[] = [];
  for (const answer of answers) {
    const root = tracer.startSpan('answer', { kind: SpanKind.SERVER, attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': 'Capital of France?', 'output.value': answer } });
    const llm = tracer.startSpan('llm', { attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-test', 'input.value': 'Capital of France?', 'output.value': answer } }, trace.setSpan(context.active(), root));
    llm.end();
    root.end();
    traceIds.push(root.spanContext().traceId);
  }
  await provider.forceFlush();
  await provider.shutdown();
  return traceIds;
}

async function tickAndRun() {
  const runIds = await continuousTick(t.ctx);
  for (const id of runIds) await executeRun(t.ctx, id);
  return runIds;
}

describe('continuous evaluation of traces', () => {
  it('evaluates traces sent with the OpenTelemetry SDK once complete, shows results on spans and filters spans by label', async () => {
    const project = await t.project();
    const token = project.owner.token;
    const ingest = await t.post(`/api/v1/projects/${project.id}/ingest-tokens`, { name: 'agent' }, { token });
    expect(ingest.status, JSON.stringify(ingest.body)).toBe(201);
    const judge = await createEvaluator(t, project.id, token, { name: 'hallucination', kind: 'llm', model: 'stub', template: 'Q: {{input}} A: {{output}}', labels: { factual: 1, hallucinated: 0 } });
    const paris = await createEvaluator(t, project.id, token, { name: 'mentions Paris', kind: 'code', check: 'contains', params: { value: 'Paris' } });
    const taskId = await createEvalTask(t, project.id, token, { name: 'live', evaluatorIds: [judge, paris], target: { kind: 'spans' }, filter: { spanKind: 'LLM' }, continuous: true, quietSeconds: 0 });
    // A task that waits an hour of quiet finds nothing complete yet.
    const patient = await createEvalTask(t, project.id, token, { name: 'patient', evaluatorIds: [paris], target: { kind: 'spans' }, continuous: true, quietSeconds: 3600 });

    const traceIds = await sendTraces(ingest.body.token, ['Paris', 'a bad answer: Lyon']);
    const runIds = await tickAndRun();
    const ours = [];
    for (const id of runIds) {
      const run = (await t.get(`/api/v1/eval-runs/${id}`, { token })).body;
      if (run.evalTaskId === taskId) ours.push(run);
      expect(run.evalTaskId).not.toBe(patient);
    }
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ kind: 'continuous', status: 'completed', counts: { scored: 4, filtered_out: 2, error: 0 } });
    const filtered = await decisions(t, ours[0].id, token, 'filtered_out');
    expect(new Set(filtered.map((d) => d.traceId))).toEqual(new Set(traceIds));

    const spans = (await t.get(`/api/v1/projects/${project.id}/spans`, { token, query: { spanKind: 'LLM' } })).body.data;
    expect(spans).toHaveLength(2);
    const bad = spans.find((s: any) => s.traceId === traceIds[1]);
    expect(bad.evaluations).toEqual(expect.arrayContaining([expect.objectContaining({ evaluatorId: judge, evalTaskId: taskId, runId: ours[0].id, label: 'hallucinated', score: 0 })]));
    const hallucinated = (await t.get(`/api/v1/projects/${project.id}/spans`, { token, query: { evalLabel: 'hallucinated', evaluatorId: judge } })).body.data;
    expect(hallucinated.map((s: any) => s.traceId)).toEqual([traceIds[1]]);

    // The next tick has nothing new: each trace is handed to a task once.
    expect(await tickAndRun()).toHaveLength(0);
    const more = await sendTraces(ingest.body.token, ['Paris again']);
    const next = await tickAndRun();
    expect(next).toHaveLength(1);
    const run = (await t.get(`/api/v1/eval-runs/${next[0]}`, { token })).body;
    expect(run.counts.scored).toBe(2);
    expect((await decisions(t, run.id, token, 'scored')).every((d) => d.traceId === more[0])).toBe(true);
  });

  it('backfills spans in a time range with a cap, and a paused task is skipped by continuous mode', async () => {
    const project = await t.project();
    const token = project.owner.token;
    const ingest = await t.post(`/api/v1/projects/${project.id}/ingest-tokens`, { name: 'agent' }, { token });
    const len = await createEvaluator(t, project.id, token, { name: 'short', kind: 'code', check: 'length', params: { max: 8 } });
    const latency = await createEvaluator(t, project.id, token, { name: 'fast', kind: 'code', check: 'latency', params: { maxMs: 60_000 } });
    const taskId = await createEvalTask(t, project.id, token, { name: 'bf', evaluatorIds: [len, latency], target: { kind: 'spans' }, continuous: true, quietSeconds: 0 });
    await t.post(`/api/v1/eval-tasks/${taskId}/pause`, {}, { token });
    await sendTraces(ingest.body.token, ['Paris', 'Paris', 'Paris']);
    const ticked = await continuousTick(t.ctx);
    const theirs = await Promise.all(ticked.map(async (id) => (await t.get(`/api/v1/eval-runs/${id}`, { token: t.admin.token })).body.evalTaskId));
    expect(theirs).not.toContain(taskId);
    await t.post(`/api/v1/eval-tasks/${taskId}/resume`, {}, { token });
    const started = await t.post(`/api/v1/eval-tasks/${taskId}/backfill`, { from: new Date(Date.now() - 3_600_000).toISOString(), max: 4 }, { token });
    expect(started.status).toBe(202);
    await executeRun(t.ctx, started.body.id);
    const run = (await t.get(`/api/v1/eval-runs/${started.body.id}`, { token })).body;
    expect(run).toMatchObject({ kind: 'backfill', status: 'completed', counts: { scored: 8 } });
  });
});
