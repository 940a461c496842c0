import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cohensKappa,
  fleissKappa,
  fleissKappaFromCounts,
  krippendorffAlpha,
  krippendorffAlphaFromMatrix,
  percentAgreement,
  type NominalValue,
  type Rating,
} from './agreement.ts';

/** Ratings from a reliability data matrix: one row per rater (r0, r1, …), one column per unit (u0, u1, …). */
function fromMatrix<V>(matrix: (V | null)[][]): Rating<V>[] {
  return matrix.flatMap((row, r) => row.map((value, u) => ({ itemId: `u${u}`, annotatorId: `r${r}`, value })));
}

/** Two raters' answers from a 2 × 2 table: [yes/yes, A yes B no, A no B yes, no/no]. */
function fromYesNoTable([yy, yn, ny, nn]: [number, number, number, number]): Rating<string>[] {
  const pairs: [string, string][] = [
    ...Array<[string, string]>(yy).fill(['yes', 'yes']),
    ...Array<[string, string]>(yn).fill(['yes', 'no']),
    ...Array<[string, string]>(ny).fill(['no', 'yes']),
    ...Array<[string, string]>(nn).fill(['no', 'no']),
  ];
  return pairs.flatMap(([a, b], i) => [
    { itemId: `p${i}`, annotatorId: 'A', value: a },
    { itemId: `p${i}`, annotatorId: 'B', value: b },
  ]);
}

/** Ratings from a subjects × categories count table: subject i gets counts[i][j] ratings of category j. */
function fromCounts(counts: number[][]): Rating<number>[] {
  return counts.flatMap((row, i) => {
    const values = row.flatMap((count, category) => Array<number>(count).fill(category + 1));
    return values.map((value, r) => ({ itemId: `s${i}`, annotatorId: `r${r}`, value }));
  });
}

/**
 * Fleiss (1971), as reproduced in Wikipedia's "Fleiss' kappa" worked example: 10 subjects,
 * 14 raters each, 5 categories. Published: P̄ = 0.378, P̄e = 0.213, κ = 0.210.
 */
const fleissExample = [
  [0, 0, 0, 0, 14],
  [0, 2, 6, 4, 2],
  [0, 0, 3, 5, 6],
  [0, 3, 9, 2, 0],
  [2, 2, 8, 1, 1],
  [7, 7, 0, 0, 0],
  [3, 2, 6, 3, 0],
  [2, 5, 3, 2, 2],
  [6, 5, 2, 1, 0],
  [0, 2, 2, 3, 7],
];

/**
 * Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", section C (nominal
 * data, any number of observers, missing data): observers A–D over 12 units, null = missing.
 * Published: nominal α = 0.743, ordinal α = 0.815, interval α = 0.849, ratio α = 0.797.
 */
const _ = null;
const krippendorffExample: (number | null)[][] = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
  [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
];

describe('percentAgreement', () => {
  it('pools the agreeing pairs of annotators over all items', () => {
    // i1: A=B≠C → 1 of 3 pairs; i2: A=B → 1 of 1 pair. 2 of 4.
    const ratings: Rating<string>[] = [
      { itemId: 'i1', annotatorId: 'A', value: 'x' },
      { itemId: 'i1', annotatorId: 'B', value: 'x' },
      { itemId: 'i1', annotatorId: 'C', value: 'y' },
      { itemId: 'i2', annotatorId: 'A', value: 'x' },
      { itemId: 'i2', annotatorId: 'B', value: 'x' },
      { itemId: 'i3', annotatorId: 'C', value: 'z' },
    ];
    expect(percentAgreement(ratings)).toBe(0.5);
  });

  it('decides agreement with the function given', () => {
    const ratings = fromMatrix([[1, 4], [2, 9]]);
    expect(percentAgreement(ratings, (a, b) => Math.abs(a - b) <= 1)).toBe(0.5);
  });

  it('returns null, not NaN, for empty input, a single rater, or no overlap', () => {
    expect(percentAgreement([])).toBeNull();
    expect(percentAgreement(fromMatrix([['a', 'b']]))).toBeNull();
    expect(percentAgreement(fromMatrix([['a', _], [_, 'b']]))).toBeNull();
  });

  it('refuses two answers of one annotator for one item', () => {
    const twice = [
      { itemId: 'i', annotatorId: 'A', value: 'x' },
      { itemId: 'i', annotatorId: 'A', value: 'y' },
    ];
    expect(() => percentAgreement(twice)).toThrow(RangeError);
  });
});

describe('cohensKappa', () => {
  it("reproduces Wikipedia's 50-proposal example (κ = 0.4)", () => {
    // Wikipedia, "Cohen's kappa", simple example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no.
    // p_o = 0.7, p_e = 0.5·0.6 + 0.5·0.4 = 0.5, κ = 0.4.
    expect(cohensKappa(fromYesNoTable([20, 5, 10, 15]))).toBeCloseTo(0.4, 3);
  });

  it("reproduces Wikipedia's equal-agreement examples (κ = 0.1304 and 0.2593)", () => {
    // Wikipedia, "Cohen's kappa", "Same percentages but different numbers": both p_o = 0.6.
    expect(cohensKappa(fromYesNoTable([45, 15, 25, 15]))).toBeCloseTo(0.1304, 3);
    expect(cohensKappa(fromYesNoTable([25, 35, 5, 35]))).toBeCloseTo(0.2593, 3);
  });

  it('is 1 for perfect agreement and −1 for systematic disagreement on two balanced labels', () => {
    expect(cohensKappa(fromMatrix([['a', 'b', 'c'], ['a', 'b', 'c']]))).toBe(1);
    expect(cohensKappa(fromMatrix([['a', 'b'], ['b', 'a']]))).toBe(-1);
  });

  it('uses only the items both named raters rated', () => {
    const ratings = [...fromYesNoTable([20, 5, 10, 15]), { itemId: 'p0', annotatorId: 'C', value: 'no' }, { itemId: 'x', annotatorId: 'A', value: 'yes' }];
    expect(cohensKappa(ratings, ['A', 'B'])).toBeCloseTo(0.4, 12);
    expect(() => cohensKappa(ratings)).toThrow(RangeError);
  });

  it('returns null when chance agreement is certain, the input is empty, a rater is alone, or they share no item', () => {
    expect(cohensKappa(fromMatrix([['a', 'a'], ['a', 'a']]))).toBeNull();
    expect(cohensKappa([])).toBeNull();
    expect(cohensKappa(fromMatrix([['a', 'b']]))).toBeNull();
    expect(cohensKappa(fromMatrix([['a', _], [_, 'b']]))).toBeNull();
  });
});

describe('fleissKappa', () => {
  it('reproduces the Fleiss (1971) / Wikipedia example: 10 subjects, 14 raters, κ = 0.210', () => {
    expect(fleissKappaFromCounts(fleissExample)).toBeCloseTo(0.21, 3);
    expect(fleissKappa(fromCounts(fleissExample))).toBeCloseTo(0.21, 3);
  });

  it('is 1 for perfect agreement', () => {
    expect(fleissKappa(fromMatrix([['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b', 'c']]))).toBe(1);
  });

  it('refuses items rated by different numbers of raters', () => {
    expect(() => fleissKappa(fromMatrix([['a', 'b'], ['a', 'b'], ['a', _]]))).toThrow(RangeError);
  });

  it('returns null for empty input, a single rater, or a single category', () => {
    expect(fleissKappa([])).toBeNull();
    expect(fleissKappaFromCounts([])).toBeNull();
    expect(fleissKappa(fromMatrix([['a', 'b', 'c']]))).toBeNull();
    expect(fleissKappa(fromMatrix([['a', 'a'], ['a', 'a']]))).toBeNull();
  });
});

describe('krippendorffAlpha', () => {
  it('reproduces Krippendorff (2011) with missing values: nominal α = 0.743', () => {
    expect(krippendorffAlphaFromMatrix(krippendorffExample, 'nominal')).toBeCloseTo(0.743, 3);
    expect(krippendorffAlpha(fromMatrix(krippendorffExample), 'nominal')).toBeCloseTo(0.743, 3);
  });

  it('reproduces Krippendorff (2011) with missing values: interval α = 0.849', () => {
    expect(krippendorffAlphaFromMatrix(krippendorffExample, 'interval')).toBeCloseTo(0.849, 3);
    expect(krippendorffAlpha(fromMatrix(krippendorffExample), 'interval')).toBeCloseTo(0.849, 3);
  });

  it('reproduces Krippendorff (2011) at the ordinal (0.815) and ratio (0.797) levels', () => {
    expect(krippendorffAlphaFromMatrix(krippendorffExample, 'ordinal')).toBeCloseTo(0.815, 3);
    expect(krippendorffAlphaFromMatrix(krippendorffExample, 'ratio')).toBeCloseTo(0.797, 3);
  });

  it('leaves out units rated once', () => {
    const withoutLastUnit = krippendorffExample.map((row) => row.slice(0, 11));
    expect(krippendorffAlphaFromMatrix(withoutLastUnit, 'nominal')).toBe(krippendorffAlphaFromMatrix(krippendorffExample, 'nominal'));
  });

  it('is 1 for perfect agreement with varied values, missing ratings included', () => {
    expect(krippendorffAlphaFromMatrix([[1, 2, _, 4], [1, 2, 3, 4], [_, 2, 3, _]], 'interval')).toBe(1);
  });

  it('returns null for empty input, a single rater, no overlap, or no variation', () => {
    expect(krippendorffAlpha([], 'nominal')).toBeNull();
    expect(krippendorffAlphaFromMatrix([], 'interval')).toBeNull();
    expect(krippendorffAlphaFromMatrix([[1, 2, 3]], 'nominal')).toBeNull();
    expect(krippendorffAlphaFromMatrix([[1, _], [_, 2]], 'nominal')).toBeNull();
    expect(krippendorffAlphaFromMatrix([[3, 3], [3, 3]], 'interval')).toBeNull();
  });

  it('refuses non-numeric values at the interval level', () => {
    expect(() => krippendorffAlphaFromMatrix([['a', 'b'], ['a', 'c']], 'interval')).toThrow(TypeError);
  });

  it("equals 1 − (n − 1)/n · (1 − Fleiss' κ) on complete nominal data", () => {
    // With no missing data, D_o = 1 − P̄ and D_e = n/(n − 1) · (1 − P̄e) for n = raters × units.
    const complete = fc
      .tuple(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 2, max: 8 }))
      .chain(([raters, units]) =>
        fc.array(fc.array(fc.constantFrom<NominalValue>('a', 'b', 'c'), { minLength: units, maxLength: units }), {
          minLength: raters,
          maxLength: raters,
        }),
      );
    fc.assert(
      fc.property(complete, (matrix) => {
        const kappa = fleissKappa(fromMatrix(matrix));
        const alpha = krippendorffAlphaFromMatrix(matrix, 'nominal');
        const n = matrix.length * matrix[0]!.length;
        if (kappa === null) expect(alpha).toBeNull();
        else expect(alpha).toBeCloseTo(1 - ((n - 1) / n) * (1 - kappa), 9);
      }),
      { numRuns: 300 },
    );
  });
});
