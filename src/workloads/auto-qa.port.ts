import type { Ctx } from '../context.ts';
import type { RatingCategory } from './scorecard.ts';

/**
 * The AI evaluator behind AutoQA, as a port (docs/workloads.md): given an item and the
 * scorecard's categories, it answers a value per category and an explanation. The evaluators
 * module backs it in production once it exists; until then no port is configured and AutoQA
 * modes other than `off` are refused (422 `auto_qa_unavailable`). Tests hand in a fake.
 */
export interface AutoQaPort {
  evaluate(input: {
    item: { id: string; kind: string; payload: Record<string, unknown>; metadata: Record<string, unknown> };
    categories: readonly RatingCategory[];
    aiEvaluatorId: string | null;
  }): Promise<{ values: Record<string, number>; explanation: string }>;
}

// Keyed by the context object: each app (and its job workers) has its own port.
const ports = new WeakMap<object, AutoQaPort>();

/** Configures (or with null removes) the AutoQA port of one context: the composition root and tests call it. */
export function setAutoQaPort(ctx: Ctx, port: AutoQaPort | null) {
  if (port) ports.set(ctx, port);
  else ports.delete(ctx);
}

export const autoQaPortOf = (ctx: Ctx): AutoQaPort | null => ports.get(ctx) ?? null;
