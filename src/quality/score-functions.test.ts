import { describe, expect, it } from 'vitest';
import { DomainError } from '../core/errors.ts';
import {
  defaultScoreFunctionFor,
  matchRegions,
  resolveScoreFunction,
  scoreAnnotations,
  scoreFunctionOverridesSchema,
  scoreFunctions,
  type ScoreFunctionChoice,
} from './score-functions.ts';
import type { BboxShape, PolygonShape, ScoredShape } from './scored-shapes.ts';

const box = (label: string, x: number, y: number, w: number, h: number): BboxShape => ({ tool: 'bbox', label, x, y, w, h });
const polygon = (label: string, ...xy: [number, number][]): PolygonShape => ({
  tool: 'polygon',
  label,
  points: xy.map(([x, y]) => ({ x, y })),
});
const span = (label: string, start: number, end: number): ScoredShape => ({ tool: 'text_span', label, start, end });
const rating = (category: string, value: number): ScoredShape => ({ tool: 'rating', category, value });
const score = (name: keyof typeof scoreFunctions, a: ScoredShape[], b: ScoredShape[], params: unknown = {}) =>
  scoreFunctions[name].withParams(params)(a, b);

describe('iou', () => {
  it('scores identical boxes 1 and two empty annotations 1', () => {
    expect(score('iou', [box('car', 0, 0, 10, 10)], [box('car', 0, 0, 10, 10)])).toBe(1);
    expect(score('iou', [], [])).toBe(1);
  });

  it('averages the IoU of matched pairs over matched and unmatched shapes', () => {
    // car: IoU 1/7 ([0,2]² vs [1,3]²); person: IoU 1; a's extra tree is unmatched.
    // (1/7 + 1) / (2 pairs + 1 unmatched).
    const a = [box('car', 0, 0, 2, 2), box('person', 10, 10, 1, 1), box('tree', 20, 20, 1, 1)];
    const b = [box('person', 10, 10, 1, 1), box('car', 1, 1, 2, 2)];
    expect(score('iou', a, b)).toBeCloseTo((1 / 7 + 1) / 3, 12);
    expect(score('iou', b, a)).toBeCloseTo((1 / 7 + 1) / 3, 12);
  });

  it('never matches shapes of different labels', () => {
    expect(score('iou', [box('car', 0, 0, 2, 2)], [box('truck', 0, 0, 2, 2)])).toBe(0);
  });

  it('matches greedily by highest IoU, one to one', () => {
    // a1 overlaps b1 fully and b2 half; a2 overlaps b2 a little. Greedy takes (a1,b1) then (a2,b2).
    const a1 = box('car', 0, 0, 2, 2);
    const a2 = box('car', 3, 0, 2, 2);
    const b1 = box('car', 0, 0, 2, 2);
    const b2 = box('car', 1, 0, 2.5, 2);
    const { matches, unmatchedA, unmatchedB } = matchRegions([a1, a2], [b2, b1]);
    expect(matches.map((m) => [m.a, m.b])).toEqual([
      [a1, b1],
      [a2, b2],
    ]);
    expect(matches[1]!.iou).toBeCloseTo(1 / 8, 12); // overlap [3,3.5]×[0,2] = 1; union 4 + 5 − 1
    expect(unmatchedA).toEqual([]);
    expect(unmatchedB).toEqual([]);
  });

  it('turns into the share of shapes matched at the threshold', () => {
    // car pair IoU 1/7 < 0.5: both unmatched; person pair matches. 1 / (2 + 2 − 1).
    const a = [box('car', 0, 0, 2, 2), box('person', 10, 10, 1, 1)];
    const b = [box('car', 1, 1, 2, 2), box('person', 10, 10, 1, 1)];
    expect(score('iou', a, b, { threshold: 0.5 })).toBeCloseTo(1 / 3, 12);
    expect(score('iou', a, b, { threshold: 0.1 })).toBe(1);
  });

  it('compares polygons on their shapes, concave ones included', () => {
    const l = polygon('road', [0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]);
    const sq = polygon('road', [0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5]);
    expect(score('iou', [l], [sq])).toBeCloseTo(0.75 / 3.25, 12);
  });

  it('rejects a threshold outside (0, 1]', () => {
    expect(() => score('iou', [], [], { threshold: 0 })).toThrow(DomainError);
    expect(() => score('iou', [], [], { threshold: 1.5 })).toThrow(DomainError);
    expect(() => score('iou', [], [], { nope: true })).toThrow(DomainError);
  });
});

describe('exact_match', () => {
  const cls = (label: string): ScoredShape => ({ tool: 'classification', label });
  const text = (t: string): ScoredShape => ({ tool: 'free_text', text: t });

  it('scores 1 for the same label and 0 for another or a missing one', () => {
    expect(score('exact_match', [cls('cat')], [cls('cat')])).toBe(1);
    expect(score('exact_match', [cls('cat')], [cls('dog')])).toBe(0);
    expect(score('exact_match', [cls('cat')], [])).toBe(0);
    expect(score('exact_match', [], [])).toBe(1);
  });

  it('compares free text with whitespace collapsed and, if asked, case folded', () => {
    expect(score('exact_match', [text(' Hello   world ')], [text('Hello world')])).toBe(1);
    expect(score('exact_match', [text('Hello')], [text('hello')])).toBe(0);
    expect(score('exact_match', [text('Hello')], [text('hello')], { caseSensitive: false })).toBe(1);
  });
});

describe('jaccard', () => {
  const multi = (...labels: string[]): ScoredShape => ({ tool: 'multi_classification', labels });

  it('divides the shared labels by all labels chosen', () => {
    expect(score('jaccard', [multi('a', 'b', 'c')], [multi('b', 'c', 'd')])).toBeCloseTo(2 / 4, 12);
    expect(score('jaccard', [multi('a')], [multi('b')])).toBe(0);
    expect(score('jaccard', [multi('a', 'b')], [multi('b', 'a')])).toBe(1);
    expect(score('jaccard', [multi()], [multi()])).toBe(1);
  });
});

describe('span_f1', () => {
  it('is the character-overlap F1 of spans with the same label', () => {
    // a covers [0,10), b covers [5,20): overlap 5; F1 = 2·5 / (10 + 15).
    expect(score('span_f1', [span('PER', 0, 10)], [span('PER', 5, 20)])).toBeCloseTo(10 / 25, 12);
    expect(score('span_f1', [span('PER', 0, 10)], [span('ORG', 0, 10)])).toBe(0);
    expect(score('span_f1', [span('PER', 0, 10)], [span('ORG', 0, 10)], { ignoreLabels: true })).toBe(1);
  });

  it('counts a character covered twice by one side once', () => {
    // a: [0,6) ∪ [4,10) = [0,10); b: [0,10). Perfect.
    expect(score('span_f1', [span('X', 0, 6), span('X', 4, 10)], [span('X', 0, 10)])).toBe(1);
  });

  it('sums the overlap across labels and several spans', () => {
    // PER: a [0,4) ∪ [10,14), b [2,12) → overlap 2 + 2; LOC: a [20,30), b [25,35) → 5.
    // sizes: a 4 + 4 + 10 = 18, b 10 + 10 = 20. F1 = 2·9 / 38.
    const a = [span('PER', 0, 4), span('PER', 10, 14), span('LOC', 20, 30)];
    const b = [span('PER', 2, 12), span('LOC', 25, 35)];
    expect(score('span_f1', a, b)).toBeCloseTo(18 / 38, 12);
    expect(score('span_f1', b, a)).toBeCloseTo(18 / 38, 12);
  });

  it('scores 1 when neither side marked a span and 0 when only one did', () => {
    expect(score('span_f1', [], [])).toBe(1);
    expect(score('span_f1', [span('X', 0, 3)], [])).toBe(0);
  });
});

describe('rating_abs_diff', () => {
  it('scores one minus the difference as a share of the scale', () => {
    expect(score('rating_abs_diff', [rating('tone', 4)], [rating('tone', 2)])).toBeCloseTo(1 - 2 / 4, 12);
    expect(score('rating_abs_diff', [rating('tone', 4)], [rating('tone', 2)], { min: 0, max: 10 })).toBeCloseTo(0.8, 12);
    expect(score('rating_abs_diff', [rating('tone', 1)], [rating('tone', 5)])).toBe(0);
  });

  it('averages categories with their weights and scales, a one-sided category scoring 0', () => {
    const a = [rating('tone', 3), rating('accuracy', 10), rating('brevity', 1)];
    const b = [rating('tone', 5), rating('accuracy', 5)];
    const params = { scales: { accuracy: { min: 0, max: 10 } }, weights: { tone: 2 } };
    // tone 1 − 2/4 = 0.5 (weight 2); accuracy 1 − 5/10 = 0.5; brevity 0. (1 + 0.5 + 0) / 4.
    expect(score('rating_abs_diff', a, b, params)).toBeCloseTo(1.5 / 4, 12);
  });

  it('rejects a scale whose max is not above its min', () => {
    expect(() => score('rating_abs_diff', [], [], { min: 5, max: 5 })).toThrow(DomainError);
  });
});

describe('defaultScoreFunctionFor', () => {
  it('picks IoU for regions, exact match for classification, overlap F1 for spans, abs diff for ratings', () => {
    expect(defaultScoreFunctionFor('bbox')).toBe('iou');
    expect(defaultScoreFunctionFor('polygon')).toBe('iou');
    expect(defaultScoreFunctionFor('classification')).toBe('exact_match');
    expect(defaultScoreFunctionFor('multi_classification')).toBe('jaccard');
    expect(defaultScoreFunctionFor('text_span')).toBe('span_f1');
    expect(defaultScoreFunctionFor('rating')).toBe('rating_abs_diff');
    expect(defaultScoreFunctionFor('free_text')).toBeNull();
  });

  it('names only registered functions that apply to their tool', () => {
    for (const tool of ['bbox', 'polygon', 'classification', 'multi_classification', 'text_span', 'rating'] as const) {
      const name = defaultScoreFunctionFor(tool);
      expect(name && scoreFunctions[name].tools).toContain(tool);
    }
  });
});

describe('resolveScoreFunction', () => {
  const a: ScoredShape[] = [box('car', 0, 0, 2, 2), { tool: 'classification', label: 'day' }];
  const b: ScoredShape[] = [box('car', 1, 1, 2, 2), { tool: 'classification', label: 'night' }];

  it('scores only the shapes of its tool', () => {
    expect(scoreAnnotations('bbox', a, b)).toBeCloseTo(1 / 7, 12);
    expect(scoreAnnotations('classification', a, b)).toBe(0);
  });

  it("uses the task's choice with its parameters instead of the default", () => {
    const choice: ScoreFunctionChoice = { name: 'iou', params: { threshold: 0.1 } };
    expect(scoreAnnotations('bbox', a, b, choice)).toBe(1);
    expect(resolveScoreFunction('classification', { name: 'jaccard' })?.name).toBe('jaccard');
  });

  it('returns null for a tool with no default and no choice', () => {
    expect(resolveScoreFunction('free_text')).toBeNull();
    expect(scoreAnnotations('free_text', [], [])).toBeNull();
    expect(scoreAnnotations('free_text', [{ tool: 'free_text', text: 'x' }], [{ tool: 'free_text', text: 'x' }], { name: 'exact_match' })).toBe(1);
  });

  it('refuses a function that does not apply to the tool', () => {
    expect(() => resolveScoreFunction('bbox', { name: 'span_f1' })).toThrow(/does not apply to bbox/);
  });
});

describe('scoreFunctionOverridesSchema', () => {
  it('accepts a valid replacement per tool', () => {
    const parsed = scoreFunctionOverridesSchema.parse({ bbox: { name: 'iou', params: { threshold: 0.5 } }, classification: { name: 'jaccard' } });
    expect(parsed.bbox?.params).toEqual({ threshold: 0.5 });
  });

  it('reports a function that does not fit its tool or bad parameters at the path of the tool', () => {
    const result = scoreFunctionOverridesSchema.safeParse({ rating: { name: 'iou' }, bbox: { name: 'iou', params: { threshold: 2 } } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toEqual([['bbox'], ['rating']]);
    expect(scoreFunctionOverridesSchema.safeParse({ bbox: { name: 'nope' } }).success).toBe(false);
  });
});
