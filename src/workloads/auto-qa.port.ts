import type { Caller, Ctx } from '../context.ts';
import type { RatingCategory } from './scorecard.ts';

/**
 * The AI evaluator behind AutoQA, as a port (docs/workloads.md): given an item and the
 * scorecard's categories, it answers a value per category and an explanation. The server backs
 * it with the evaluators module (`auto-qa.evaluators.ts`, configured in `src/main/server.ts`);
 * a context without a port refuses AutoQA modes other than `off` (422 `auto_qa_unavailable`).
 */
export interface AutoQaPort {
  /** Refuses (422 naming `aiEvaluatorId`) an AI evaluator the caller cannot use in this project. */
  check(input: { caller: Caller; projectId: string; aiEvaluatorId: string | null }): Promise<void>;
  evaluate(input: {
    caller: Caller;
    projectId: string;
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
