import type { Caller, Ctx } from '../context.ts';
import { ruleBroken } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { runCodeCheck, type Verdict } from '../evaluators/code-checks.ts';
import { itemSubject } from '../evaluators/eval-sources.ts';
import { getEvaluator, llmSettings, type EvaluatorRow } from '../evaluators/evaluators.service.ts';
import { judge } from '../evaluators/llm-judge.ts';
import { allowedBaseUrl } from '../evaluators/llm-port.ts';
import { defaultItemMapping, renderTemplate, variablesOf } from '../evaluators/mapping.ts';
import type { AutoQaPort } from './auto-qa.port.ts';
import type { RatingCategory } from './scorecard.ts';

/**
 * A verdict's score (0..1) on a category's scale: `min + score × (max − min)`, rounded to a whole
 * number when both ends of the scale are whole (people rate 1..5, not 3.4), clamped to the scale.
 */
export function onScale(score: number, c: RatingCategory): number {
  const s = Math.min(1, Math.max(0, score));
  const raw = c.min + s * (c.max - c.min);
  return Number.isInteger(c.min) && Number.isInteger(c.max) ? Math.round(raw) : raw;
}

/** The conversation's turns as `role: content` lines, for a judge's `{{conversation}}`. */
function conversationText(payload: Record<string, unknown>): string {
  const turns = Array.isArray(payload.turns) ? (payload.turns as Array<{ role?: unknown; content?: unknown }>) : [];
  return turns.map((t) => `${String(t.role ?? '')}: ${typeof t.content === 'string' ? t.content : JSON.stringify(t.content ?? '')}`).join('\n');
}

async function evaluatorOf(ctx: Ctx, caller: Caller, projectId: string, id: string | null): Promise<EvaluatorRow> {
  const refuse = () => ruleBroken('AutoQA needs aiEvaluatorId: an evaluator (code check or LLM judge) of this project', { field: 'aiEvaluatorId' });
  if (!id || !isId(id)) throw refuse();
  let row: EvaluatorRow;
  try {
    row = await getEvaluator(ctx, caller, id);
  } catch {
    throw refuse();
  }
  if (row.projectId !== projectId) throw refuse();
  return row;
}

/**
 * AutoQA backed by the evaluators module (docs/workloads.md, "AutoQA"): the workload's
 * `aiEvaluatorId` names an evaluator of the project. A code check runs once on the item's
 * variables (the item mapping of docs/evaluators.md: `output` is the last assistant turn) and
 * its verdict rates every category. An LLM judge is asked through the context's LLM port once
 * per category when its template names `{{category}}` (the variables also hold `min`, `max` and
 * `conversation`, the whole dialogue), otherwise once for all; its label's score is put on each
 * category's scale. A failed call throws, so the tick retries the item later.
 */
export function evaluatorsAutoQaPort(ctx: Ctx): AutoQaPort {
  return {
    async check({ caller, projectId, aiEvaluatorId }) {
      await evaluatorOf(ctx, caller, projectId, aiEvaluatorId);
    },
    async evaluate({ caller, projectId, item, categories, aiEvaluatorId }) {
      const evaluator = await evaluatorOf(ctx, caller, projectId, aiEvaluatorId);
      const subject = itemSubject({ id: item.id, kind: item.kind, externalId: null, payload: item.payload, metadata: item.metadata, draft: false });
      const vars: Record<string, unknown> = { ...variablesOf(subject.fields, defaultItemMapping, {}), conversation: conversationText(item.payload), metadata: item.metadata, payload: item.payload };
      if (evaluator.kind === 'code') {
        const verdict = runCodeCheck(evaluator.check!, evaluator.params, { output: vars.output, expected: vars.expected, latencyMs: vars.latencyMs as number | null | undefined });
        return { values: Object.fromEntries(categories.map((c) => [c.name, onScale(verdict.score, c)])), explanation: `${evaluator.name}: ${verdict.explanation}` };
      }
      const settings = llmSettings(ctx);
      const ask = (extra: Record<string, unknown>): Promise<Verdict> =>
        judge(settings, { baseUrl: allowedBaseUrl(settings, evaluator.baseUrl), model: evaluator.model!, labels: evaluator.labels ?? {} }, renderTemplate(evaluator.template ?? '', { ...vars, ...extra }));
      if (!/\{\{\s*category\s*\}\}/.test(evaluator.template ?? '')) {
        const verdict = await ask({});
        return { values: Object.fromEntries(categories.map((c) => [c.name, onScale(verdict.score, c)])), explanation: `${evaluator.name}: ${verdict.label}. ${verdict.explanation}` };
      }
      const verdicts = await Promise.all(categories.map((c) => ask({ category: c.name, min: c.min, max: c.max })));
      return {
        values: Object.fromEntries(categories.map((c, i) => [c.name, onScale(verdicts[i]!.score, c)])),
        explanation: categories.map((c, i) => `${c.name}: ${verdicts[i]!.label}. ${verdicts[i]!.explanation}`).join('\n'),
      };
    },
  };
}
