/**
 * What the score functions read from an annotation's shapes. These are structural views, not
 * the validating schemas (those belong to `src/recipes/`): any shape carrying at least these
 * fields can be scored, and extra fields (ids, attributes) are ignored.
 */

export const scoredTools = [
  'bbox',
  'polygon',
  'classification',
  'multi_classification',
  'text_span',
  'rating',
  'free_text',
] as const;

export type ScoredTool = (typeof scoredTools)[number];

export interface BboxShape {
  tool: 'bbox';
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PolygonShape {
  tool: 'polygon';
  label: string;
  points: readonly { x: number; y: number }[];
}

export interface ClassificationShape {
  tool: 'classification';
  label: string;
}

export interface MultiClassificationShape {
  tool: 'multi_classification';
  labels: readonly string[];
}

/** A character range `[start, end)` of the item's text. */
export interface TextSpanShape {
  tool: 'text_span';
  label: string;
  start: number;
  end: number;
}

export interface RatingShape {
  tool: 'rating';
  category: string;
  value: number;
}

export interface FreeTextShape {
  tool: 'free_text';
  text: string;
}

export type ScoredShape =
  | BboxShape
  | PolygonShape
  | ClassificationShape
  | MultiClassificationShape
  | TextSpanShape
  | RatingShape
  | FreeTextShape;

/** The shapes of the given tools, in their original order. */
export function shapesOf<T extends ScoredTool>(
  shapes: readonly ScoredShape[],
  tools: readonly T[],
): Extract<ScoredShape, { tool: T }>[] {
  return shapes.filter((s): s is Extract<ScoredShape, { tool: T }> => (tools as readonly ScoredTool[]).includes(s.tool));
}
