import { z } from 'zod';
import { invalid } from '../core/errors.ts';
import { boxIoU, boxToPolygon, polygonIoU, type Point } from './geometry.ts';
import {
  scoredTools,
  shapesOf,
  type BboxShape,
  type PolygonShape,
  type ScoredShape,
  type ScoredTool,
  type TextSpanShape,
} from './scored-shapes.ts';

/**
 * Built-in score functions: each compares the shapes of one tool in two annotations of the same
 * item (one annotator against another, or against the gold answer) and returns a score in
 * [0, 1], 1 meaning full agreement. All are pure and deterministic, and symmetric in their two
 * arguments (for `iou`, up to exact IoU ties in the greedy matching, broken by shape order). When
 * neither annotation holds a shape of the tool, both said "nothing here" and the score is 1.
 */
export interface ScoreFunction<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  /** The tools whose shapes this function reads; it ignores the others. */
  readonly tools: readonly ScoredTool[];
  /** Validates and fills in defaults for the parameters a task may set. */
  readonly params: S;
  score(a: readonly ScoredShape[], b: readonly ScoredShape[], params: z.output<S>): number;
  /** Parses raw parameters (throws `invalid_request` when they do not fit) and binds them. */
  withParams(raw: unknown): (a: readonly ScoredShape[], b: readonly ScoredShape[]) => number;
}

function defineScoreFunction<S extends z.ZodType>(def: Omit<ScoreFunction<S>, 'withParams'>): ScoreFunction<S> {
  return {
    ...def,
    withParams(raw) {
      const parsed = def.params.safeParse(raw ?? {});
      if (!parsed.success) {
        throw invalid(`invalid parameters for score function ${def.name}`, { issues: parsed.error.issues });
      }
      const params = parsed.data;
      return (a, b) => def.score(a, b, params);
    },
  };
}

type Region = BboxShape | PolygonShape;

const pointsOf = (r: Region): readonly Point[] => (r.tool === 'bbox' ? boxToPolygon(r) : r.points);

/** IoU of two regions; a box compared with a polygon is read as its four corners. */
export function regionIoU(a: Region, b: Region): number {
  return a.tool === 'bbox' && b.tool === 'bbox' ? boxIoU(a, b) : polygonIoU(pointsOf(a), pointsOf(b));
}

export interface RegionMatching<T extends Region> {
  matches: { a: T; b: T; iou: number }[];
  unmatchedA: T[];
  unmatchedB: T[];
}

/**
 * Greedy one-to-one matching of regions by label: among all pairs with the same label and an
 * IoU of at least `minIoU` (and above 0), the pair with the highest IoU is matched first, then
 * the next best pair among the shapes left, and so on. Ties go to the earlier shapes, so the
 * result is deterministic.
 */
export function matchRegions<T extends Region>(a: readonly T[], b: readonly T[], minIoU = 0): RegionMatching<T> {
  const candidates: { i: number; j: number; iou: number }[] = [];
  a.forEach((ra, i) =>
    b.forEach((rb, j) => {
      if (ra.label !== rb.label) return;
      const iou = regionIoU(ra, rb);
      if (iou > 0 && iou >= minIoU) candidates.push({ i, j, iou });
    }),
  );
  candidates.sort((x, y) => y.iou - x.iou || x.i - y.i || x.j - y.j);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const matches: RegionMatching<T>['matches'] = [];
  for (const c of candidates) {
    if (usedA.has(c.i) || usedB.has(c.j)) continue;
    usedA.add(c.i);
    usedB.add(c.j);
    matches.push({ a: a[c.i]!, b: b[c.j]!, iou: c.iou });
  }
  return {
    matches,
    unmatchedA: a.filter((_, i) => !usedA.has(i)),
    unmatchedB: b.filter((_, j) => !usedB.has(j)),
  };
}

const iou = defineScoreFunction({
  name: 'iou',
  description:
    'Mean IoU over matched and unmatched regions; with a threshold, the share of regions matched at that IoU.',
  tools: ['bbox', 'polygon'],
  params: z.strictObject({ threshold: z.number().gt(0).lte(1).optional() }),
  /**
   * Regions are matched with `matchRegions` (greedy by highest IoU, same label, one-to-one).
   * Without a threshold: `Σ IoU(matched pairs) / (matched pairs + unmatched in a + unmatched in b)`,
   * i.e. the mean IoU over the union of shapes where a pair counts once and an unmatched shape
   * counts as 0. With a threshold t: only pairs with IoU ≥ t match and each counts as 1, so the
   * score is `matched / (|a| + |b| − matched)`.
   */
  score(a, b, { threshold }) {
    const ra = shapesOf(a, ['bbox', 'polygon']);
    const rb = shapesOf(b, ['bbox', 'polygon']);
    if (ra.length === 0 && rb.length === 0) return 1;
    const { matches } = matchRegions(ra, rb, threshold ?? 0);
    const union = ra.length + rb.length - matches.length;
    const sum = matches.reduce((total, m) => total + (threshold === undefined ? m.iou : 1), 0);
    return sum / union;
  },
});

const labelSet = (labels: Iterable<string>): Set<string> => new Set(labels);
const normalizeText = (text: string, caseSensitive: boolean): string => {
  const collapsed = text.trim().replace(/\s+/g, ' ');
  return caseSensitive ? collapsed : collapsed.toLowerCase();
};

const exactMatch = defineScoreFunction({
  name: 'exact_match',
  description: 'Whether both chose the same classification labels (or wrote the same free text).',
  tools: ['classification', 'free_text'],
  params: z.strictObject({ caseSensitive: z.boolean().default(true) }),
  /**
   * 1 when the sets of classification labels and of free-text answers are equal, else 0. Free
   * text is compared with surrounding whitespace trimmed and inner runs of whitespace collapsed;
   * `caseSensitive: false` also folds case (of labels too).
   */
  score(a, b, { caseSensitive }) {
    const keys = (shapes: readonly ScoredShape[]) =>
      labelSet(
        shapesOf(shapes, ['classification', 'free_text']).map((s) =>
          s.tool === 'classification' ? `label:${normalizeText(s.label, caseSensitive)}` : `text:${normalizeText(s.text, caseSensitive)}`,
        ),
      );
    const ka = keys(a);
    const kb = keys(b);
    return ka.size === kb.size && [...ka].every((k) => kb.has(k)) ? 1 : 0;
  },
});

/** `|A ∩ B| / |A ∪ B|` of two label sets; 1 when both are empty. */
export function jaccardIndex(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let common = 0;
  for (const label of a) if (b.has(label)) common++;
  return common / (a.size + b.size - common);
}

const jaccard = defineScoreFunction({
  name: 'jaccard',
  description: 'Jaccard index of the chosen label sets: shared labels over all labels chosen.',
  tools: ['multi_classification', 'classification'],
  params: z.strictObject({}),
  /** `|A ∩ B| / |A ∪ B|` where A and B are the labels chosen in all the shapes of each side. */
  score(a, b) {
    const labels = (shapes: readonly ScoredShape[]) =>
      labelSet(
        shapesOf(shapes, ['multi_classification', 'classification']).flatMap((s) =>
          s.tool === 'classification' ? [s.label] : s.labels,
        ),
      );
    return jaccardIndex(labels(a), labels(b));
  },
});

type Interval = [start: number, end: number];

/** Character ranges covered by the spans, per label (or under one key), merged and sorted. */
function coverage(spans: readonly TextSpanShape[], ignoreLabels: boolean): Map<string, Interval[]> {
  const byLabel = new Map<string, Interval[]>();
  for (const s of spans) {
    if (!(s.end > s.start)) continue;
    const key = ignoreLabels ? '' : s.label;
    byLabel.set(key, [...(byLabel.get(key) ?? []), [s.start, s.end]]);
  }
  for (const [key, intervals] of byLabel) {
    intervals.sort((x, y) => x[0] - y[0]);
    const merged: Interval[] = [];
    for (const [start, end] of intervals) {
      const last = merged[merged.length - 1];
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    }
    byLabel.set(key, merged);
  }
  return byLabel;
}

const covered = (intervals: readonly Interval[]): number => intervals.reduce((n, [s, e]) => n + e - s, 0);

function overlapLength(x: readonly Interval[], y: readonly Interval[]): number {
  let total = 0;
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const xi = x[i]!;
    const yj = y[j]!;
    total += Math.max(0, Math.min(xi[1], yj[1]) - Math.max(xi[0], yj[0]));
    if (xi[1] < yj[1]) i++;
    else j++;
  }
  return total;
}

const spanF1 = defineScoreFunction({
  name: 'span_f1',
  description: 'Character-overlap F1 of the text spans, counting characters given the same label.',
  tools: ['text_span'],
  params: z.strictObject({ ignoreLabels: z.boolean().default(false) }),
  /**
   * Spans are half-open character ranges `[start, end)`. Per label, the characters covered by
   * each side are merged (overlapping spans count a character once); `overlap` is the number of
   * characters both sides cover with the same label. Precision = overlap / |a|, recall =
   * overlap / |b|, and F1 = `2 · overlap / (|a| + |b|)`. `ignoreLabels: true` compares the
   * covered characters whatever their labels.
   */
  score(a, b, { ignoreLabels }) {
    const ca = coverage(shapesOf(a, ['text_span']), ignoreLabels);
    const cb = coverage(shapesOf(b, ['text_span']), ignoreLabels);
    let sizeA = 0;
    let sizeB = 0;
    let common = 0;
    for (const intervals of ca.values()) sizeA += covered(intervals);
    for (const intervals of cb.values()) sizeB += covered(intervals);
    for (const [label, intervals] of ca) common += overlapLength(intervals, cb.get(label) ?? []);
    return sizeA + sizeB === 0 ? 1 : (2 * common) / (sizeA + sizeB);
  },
});

const scaleSchema = z
  .strictObject({ min: z.number(), max: z.number() })
  .refine((s) => s.max > s.min, { message: 'max must be greater than min' });

const ratingAbsDiff = defineScoreFunction({
  name: 'rating_abs_diff',
  description: 'One minus the absolute difference of the ratings, as a share of the scale, averaged over categories.',
  tools: ['rating'],
  params: z
    .strictObject({
      min: z.number().default(1),
      max: z.number().default(5),
      /** Per-category scales overriding `min`/`max`. */
      scales: z.record(z.string(), scaleSchema).default({}),
      /** Per-category weights of the mean (scorecards); 1 when absent. */
      weights: z.record(z.string(), z.number().positive()).default({}),
    })
    .refine((p) => p.max > p.min, { message: 'max must be greater than min' }),
  /**
   * Per category rated on both sides: `1 − |a − b| / (max − min)`, clamped to [0, 1]; a category
   * rated on one side only scores 0. The result is the weighted mean over every category rated
   * on either side. If one side rates a category twice, its last rating counts.
   */
  score(a, b, { min, max, scales, weights }) {
    const values = (shapes: readonly ScoredShape[]) =>
      new Map(shapesOf(shapes, ['rating']).map((r) => [r.category, r.value] as const));
    const va = values(a);
    const vb = values(b);
    const categories = new Set([...va.keys(), ...vb.keys()]);
    if (categories.size === 0) return 1;
    let weighted = 0;
    let totalWeight = 0;
    for (const category of categories) {
      const weight = weights[category] ?? 1;
      const scale = scales[category] ?? { min, max };
      const x = va.get(category);
      const y = vb.get(category);
      const score = x === undefined || y === undefined ? 0 : 1 - Math.abs(x - y) / (scale.max - scale.min);
      weighted += weight * Math.min(1, Math.max(0, score));
      totalWeight += weight;
    }
    return weighted / totalWeight;
  },
});

/** The built-in score functions by name. */
export const scoreFunctions = {
  iou,
  exact_match: exactMatch,
  jaccard,
  span_f1: spanF1,
  rating_abs_diff: ratingAbsDiff,
} as const;

export type ScoreFunctionName = keyof typeof scoreFunctions;

export const scoreFunctionNames = Object.keys(scoreFunctions) as [ScoreFunctionName, ...ScoreFunctionName[]];

const defaults: Record<ScoredTool, ScoreFunctionName | null> = {
  bbox: 'iou',
  polygon: 'iou',
  classification: 'exact_match',
  multi_classification: 'jaccard',
  text_span: 'span_f1',
  rating: 'rating_abs_diff',
  // Free text has no meaningful default; a task may opt in to `exact_match`.
  free_text: null,
};

/** The score function used for a tool unless the task replaces it; null when the tool is not scored by default. */
export function defaultScoreFunctionFor(tool: ScoredTool): ScoreFunctionName | null {
  return defaults[tool];
}

/** A task's choice of score function for one tool, replacing the default. */
export const scoreFunctionChoiceSchema = z.strictObject({
  name: z.enum(scoreFunctionNames),
  params: z.record(z.string(), z.unknown()).optional(),
});

export type ScoreFunctionChoice = z.infer<typeof scoreFunctionChoiceSchema>;

/** Why a choice cannot be used for a tool, or null when it can. */
function choiceProblem(tool: ScoredTool, choice: ScoreFunctionChoice): { message: string; issues?: z.core.$ZodIssue[] } | null {
  const fn: ScoreFunction = scoreFunctions[choice.name];
  if (!fn.tools.includes(tool)) return { message: `score function ${fn.name} does not apply to ${tool}` };
  const parsed = fn.params.safeParse(choice.params ?? {});
  return parsed.success ? null : { message: `invalid parameters for score function ${fn.name}`, issues: parsed.error.issues };
}

/**
 * A task's score-function replacements, per tool: `{ bbox: { name: 'iou', params: { threshold: 0.5 } } }`.
 * Rejects a function that does not apply to its tool and parameters that do not fit it.
 */
export const scoreFunctionOverridesSchema = z
  .partialRecord(z.enum(scoredTools), scoreFunctionChoiceSchema)
  .superRefine((overrides, ctx) => {
    for (const tool of scoredTools) {
      const choice = overrides[tool];
      const problem = choice && choiceProblem(tool, choice);
      if (problem) ctx.addIssue({ code: 'custom', path: [tool], message: problem.message });
    }
  });

export type ScoreFunctionOverrides = z.infer<typeof scoreFunctionOverridesSchema>;

export interface ResolvedScoreFunction {
  name: ScoreFunctionName;
  /** Scores the shapes of the resolved tool in two annotations; other tools' shapes are ignored. */
  score(a: readonly ScoredShape[], b: readonly ScoredShape[]): number;
}

/**
 * The score function for a tool: the task's choice if given, else the tool's default; null when
 * the tool has neither. Throws `invalid_request` when the choice does not apply to the tool or
 * its parameters do not fit.
 */
export function resolveScoreFunction(tool: ScoredTool, choice?: ScoreFunctionChoice): ResolvedScoreFunction | null {
  const name = choice?.name ?? defaultScoreFunctionFor(tool);
  if (name === null) return null;
  const fn: ScoreFunction = scoreFunctions[name];
  if (!fn.tools.includes(tool)) throw invalid(`score function ${name} does not apply to ${tool}`, { tool, name });
  const bound = fn.withParams(choice?.params ?? {});
  return {
    name,
    score: (a, b) => bound(shapesOf(a, [tool]), shapesOf(b, [tool])),
  };
}

/**
 * Scores one tool's shapes in two annotations with the task's choice or the default; null when
 * the tool is not scored. Equivalent to `resolveScoreFunction(tool, choice)?.score(a, b)`.
 */
export function scoreAnnotations(
  tool: ScoredTool,
  a: readonly ScoredShape[],
  b: readonly ScoredShape[],
  choice?: ScoreFunctionChoice,
): number | null {
  return resolveScoreFunction(tool, choice)?.score(a, b) ?? null;
}
