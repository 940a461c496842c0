/**
 * Scorecard arithmetic (docs/workloads.md): each rating category's value is normalised to 0..1
 * on its own scale (`(value − min) / (max − min)`), and the score is the weighted mean of the
 * categories that were rated. A category with no rating is left out of both the sum and the
 * weights (it neither drags the score down nor counts as perfect); a score with no rated
 * category, or whose rated categories all weigh 0, is `null`.
 */
export interface RatingCategory {
  name: string;
  min: number;
  max: number;
  weight: number;
}

export interface ScoredCategory extends RatingCategory {
  value: number | null;
}

/** The rating values of an annotation's shapes, by category (the last rating of a category wins). */
export function ratingValues(shapes: readonly unknown[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const shape of shapes) {
    const s = shape as { tool?: unknown; category?: unknown; value?: unknown };
    if (s.tool === 'rating' && typeof s.category === 'string' && typeof s.value === 'number') out[s.category] = s.value;
  }
  return out;
}

/** The shapes of a scorecard answer: one `rating` shape per given category. */
export const ratingShapes = (values: Record<string, number>) => Object.entries(values).map(([category, value]) => ({ tool: 'rating' as const, category, value }));

export function scoreCard(categories: readonly RatingCategory[], values: Record<string, number>): { score: number | null; categories: ScoredCategory[] } {
  let sum = 0;
  let weights = 0;
  const scored = categories.map((c) => {
    const value = Object.hasOwn(values, c.name) ? values[c.name]! : null;
    if (value !== null && c.weight > 0) {
      const span = c.max - c.min;
      const normalised = span === 0 ? 1 : Math.min(1, Math.max(0, (value - c.min) / span));
      sum += normalised * c.weight;
      weights += c.weight;
    }
    return { ...c, value };
  });
  return { score: weights > 0 ? sum / weights : null, categories: scored };
}

/** Share of the categories rated by both where the person kept the AI's value; null when none. */
export function agreement(ai: Record<string, number>, human: Record<string, number>): number | null {
  const shared = Object.keys(ai).filter((k) => Object.hasOwn(human, k));
  if (!shared.length) return null;
  return shared.filter((k) => ai[k] === human[k]).length / shared.length;
}

export const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
