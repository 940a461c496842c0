/**
 * Inter-annotator agreement statistics over nominal (or numeric) answers. Pure functions over
 * plain ratings; each returns null, never NaN, when the statistic is undefined for its input
 * (no items rated twice, or no variation for chance agreement to be measured against).
 */

/** A nominal answer: a label, a number on a scale, a yes/no. */
export type NominalValue = string | number | boolean;

/** One annotator's answer for one item; a null value is a missing answer and is skipped. */
export interface Rating<V = NominalValue> {
  itemId: string;
  annotatorId: string;
  value: V | null;
}

/** Ratings by item, then by annotator, in first-seen order. */
export type RatingsByItem<V> = Map<string, Map<string, V>>;

/**
 * Groups ratings by item and annotator, skipping null values. Throws a RangeError when an
 * annotator rates an item twice: callers pass one (the current) answer per annotator and item.
 */
export function groupByItem<V>(ratings: readonly Rating<V>[]): RatingsByItem<V> {
  const byItem: RatingsByItem<V> = new Map();
  for (const { itemId, annotatorId, value } of ratings) {
    if (value === null) continue;
    let byAnnotator = byItem.get(itemId);
    if (!byAnnotator) byItem.set(itemId, (byAnnotator = new Map()));
    if (byAnnotator.has(annotatorId)) {
      throw new RangeError(`annotator ${annotatorId} rated item ${itemId} more than once`);
    }
    byAnnotator.set(annotatorId, value);
  }
  return byItem;
}

export const sameValue = <V>(a: V, b: V): boolean => a === b;

/**
 * A total order on nominal values for stable output: numbers numerically, strings by code
 * point (locale-independent), false before true; mixed types by type name.
 */
export function compareValues(a: NominalValue, b: NominalValue): number {
  if (typeof a !== typeof b) return typeof a < typeof b ? -1 : 1;
  if (typeof a === 'number') return a - (b as number);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Pairwise percent agreement: over every item and every pair of annotators who both rated it,
 * the share of pairs whose answers agree (pooled over all pairs, so an item with more raters
 * weighs more). `agree` decides agreement, `===` by default. Null when no item has two ratings.
 */
export function percentAgreement<V>(ratings: readonly Rating<V>[], agree: (a: V, b: V) => boolean = sameValue): number | null {
  let pairs = 0;
  let agreed = 0;
  for (const byAnnotator of groupByItem(ratings).values()) {
    const values = [...byAnnotator.values()];
    for (let i = 0; i < values.length; i++) {
      for (let j = i + 1; j < values.length; j++) {
        pairs++;
        if (agree(values[i]!, values[j]!)) agreed++;
      }
    }
  }
  return pairs === 0 ? null : agreed / pairs;
}

/**
 * Cohen's kappa for two raters over the items both rated:
 * `κ = (p_o − p_e) / (1 − p_e)` with `p_o` the share of items where they agree and
 * `p_e = Σ_c p_A(c) · p_B(c)` the agreement expected from each rater's own label frequencies
 * (Cohen 1960). `raters` names the two annotators; without it the ratings must come from
 * exactly two annotators (a RangeError otherwise). Null when no item was rated by both, or when
 * `p_e = 1` (both raters always gave the same single label: kappa is undefined).
 */
export function cohensKappa<V extends NominalValue>(
  ratings: readonly Rating<V>[],
  raters?: readonly [string, string],
): number | null {
  const [first, second] = raters ?? twoRaters(ratings);
  const countsA = new Map<V, number>();
  const countsB = new Map<V, number>();
  let n = 0;
  let agreed = 0;
  for (const byAnnotator of groupByItem(ratings).values()) {
    const a = byAnnotator.get(first);
    const b = byAnnotator.get(second);
    if (a === undefined || b === undefined) continue;
    n++;
    if (a === b) agreed++;
    countsA.set(a, (countsA.get(a) ?? 0) + 1);
    countsB.set(b, (countsB.get(b) ?? 0) + 1);
  }
  if (n === 0) return null;
  let expected = 0;
  for (const [value, countA] of countsA) expected += (countA / n) * ((countsB.get(value) ?? 0) / n);
  if (expected >= 1) return null;
  return (agreed / n - expected) / (1 - expected);
}

function twoRaters(ratings: readonly Rating<unknown>[]): [string, string] {
  const raters = [...new Set(ratings.map((r) => r.annotatorId))];
  if (raters.length > 2) throw new RangeError(`Cohen's kappa takes two raters, got ${raters.length}`);
  return [raters[0] ?? '', raters[1] ?? ''];
}

/**
 * Fleiss' kappa from a subjects × categories table of counts, `counts[i][j]` being how many of
 * the `n` raters put subject i in category j (Fleiss 1971). With `P_i = (Σ_j n_ij² − n) / (n(n − 1))`,
 * `P̄` their mean, `p_j = Σ_i n_ij / (N n)` and `P̄_e = Σ_j p_j²`: `κ = (P̄ − P̄_e) / (1 − P̄_e)`.
 * Every row must sum to the same `n` (a RangeError otherwise). Null when there are no subjects,
 * when `n < 2`, or when `P̄_e = 1` (all ratings in one category).
 */
export function fleissKappaFromCounts(counts: readonly (readonly number[])[]): number | null {
  const [first] = counts;
  if (first === undefined) return null;
  const sum = (row: readonly number[]) => row.reduce((a, b) => a + b, 0);
  const n = sum(first);
  if (counts.some((row) => sum(row) !== n)) {
    throw new RangeError("Fleiss' kappa needs the same number of ratings for every subject");
  }
  if (n < 2) return null;
  const subjects = counts.length;
  const categories = Math.max(...counts.map((row) => row.length));
  let meanP = 0;
  for (const row of counts) meanP += (row.reduce((acc, c) => acc + c * c, 0) - n) / (n * (n - 1)) / subjects;
  let expected = 0;
  for (let j = 0; j < categories; j++) {
    const p = counts.reduce((acc, row) => acc + (row[j] ?? 0), 0) / (subjects * n);
    expected += p * p;
  }
  if (expected >= 1) return null;
  return (meanP - expected) / (1 - expected);
}

/**
 * Fleiss' kappa over ratings (see `fleissKappaFromCounts`). Every rated item must have the same
 * number of ratings (a RangeError otherwise): filter to complete items first, or use
 * Krippendorff's alpha, which allows missing ratings.
 */
export function fleissKappa<V extends NominalValue>(ratings: readonly Rating<V>[]): number | null {
  const byItem = groupByItem(ratings);
  const categories = [...new Set([...byItem.values()].flatMap((m) => [...m.values()]))];
  const index = new Map(categories.map((c, i) => [c, i]));
  const counts = [...byItem.values()].map((byAnnotator) => {
    const row = categories.map(() => 0);
    for (const value of byAnnotator.values()) row[index.get(value)!]!++;
    return row;
  });
  return fleissKappaFromCounts(counts);
}

/** How differences between values are weighed (Krippendorff's metrics). */
export type MeasurementLevel = 'nominal' | 'ordinal' | 'interval' | 'ratio';

/**
 * Krippendorff's alpha over ratings, any number of raters, missing ratings allowed:
 * `α = 1 − D_o / D_e`. From the coincidence matrix `o_ck = Σ_u (number of c–k pairs of values in
 * unit u) / (m_u − 1)`, over units with `m_u ≥ 2` values, with `n_c = Σ_k o_ck` and `n = Σ_c n_c`:
 * `α = 1 − (n − 1) · Σ o_ck δ²_ck / Σ n_c n_k δ²_ck` (Krippendorff 2011, "Computing Krippendorff's
 * Alpha-Reliability"). `δ²` is the level's metric: nominal `c ≠ k ? 1 : 0`; ordinal
 * `(Σ_{g=c..k} n_g − (n_c + n_k)/2)²`; interval `(c − k)²`; ratio `((c − k)/(c + k))²`.
 * Units rated once carry no pair and are left out. Null when no unit has two ratings or when
 * all pairable values are equal (`D_e = 0`). Non-nominal levels need numbers (a TypeError otherwise).
 */
export function krippendorffAlpha(ratings: readonly Rating<NominalValue>[], level: MeasurementLevel): number | null {
  return alphaOfUnits(
    [...groupByItem(ratings).values()].map((byAnnotator) => [...byAnnotator.values()]),
    level,
  );
}

/**
 * Krippendorff's alpha of a reliability data matrix, one row per rater and one column per unit,
 * null or undefined where a rater did not rate a unit (see `krippendorffAlpha`).
 */
export function krippendorffAlphaFromMatrix(
  matrix: readonly (readonly (NominalValue | null | undefined)[])[],
  level: MeasurementLevel,
): number | null {
  const unitCount = Math.max(0, ...matrix.map((row) => row.length));
  const units: NominalValue[][] = [];
  for (let u = 0; u < unitCount; u++) {
    units.push(matrix.map((row) => row[u]).filter((v): v is NominalValue => v !== null && v !== undefined));
  }
  return alphaOfUnits(units, level);
}

function alphaOfUnits(allUnits: readonly NominalValue[][], level: MeasurementLevel): number | null {
  const units = allUnits.filter((values) => values.length >= 2);
  if (level !== 'nominal' && units.some((values) => values.some((v) => typeof v !== 'number'))) {
    throw new TypeError(`Krippendorff's alpha at the ${level} level needs numeric values`);
  }
  const values = [...new Set(units.flat())].sort(compareValues);
  const index = new Map(values.map((v, i) => [v, i]));
  const k = values.length;
  const o = values.map(() => values.map(() => 0));
  for (const unit of units) {
    const counts = values.map(() => 0);
    for (const v of unit) counts[index.get(v)!]!++;
    const m = unit.length;
    for (let c = 0; c < k; c++) {
      const countC = counts[c]!;
      if (countC === 0) continue;
      const row = o[c]!;
      for (let d = 0; d < k; d++) row[d]! += (countC * (c === d ? counts[d]! - 1 : counts[d]!)) / (m - 1);
    }
  }
  const nc = o.map((row) => row.reduce((a, b) => a + b, 0));
  const n = nc.reduce((a, b) => a + b, 0);
  const delta = metric(level, values, nc);
  let observed = 0;
  let expected = 0;
  for (let c = 0; c < k; c++) {
    const row = o[c]!;
    for (let d = 0; d < k; d++) {
      const weight = delta(c, d);
      observed += row[d]! * weight;
      expected += nc[c]! * nc[d]! * weight;
    }
  }
  if (n < 2 || expected === 0) return null;
  return 1 - ((n - 1) * observed) / expected;
}

/** The squared difference function δ²(c, d) of a level, over indexes into the sorted `values`. */
function metric(level: MeasurementLevel, values: readonly NominalValue[], nc: readonly number[]): (c: number, d: number) => number {
  const num = values as readonly number[];
  switch (level) {
    case 'nominal':
      return (c, d) => (c === d ? 0 : 1);
    case 'interval':
      return (c, d) => (num[c]! - num[d]!) ** 2;
    case 'ratio':
      return (c, d) => {
        const x = num[c]!;
        const y = num[d]!;
        return x + y === 0 ? 0 : ((x - y) / (x + y)) ** 2;
      };
    case 'ordinal': {
      // cumulative[i] = n_0 + … + n_{i−1}, so Σ_{g=c..d} n_g = cumulative[d + 1] − cumulative[c].
      const cumulative = [0];
      for (const count of nc) cumulative.push(cumulative[cumulative.length - 1]! + count);
      return (c, d) => {
        const [lo, hi] = c <= d ? [c, d] : [d, c];
        return (cumulative[hi + 1]! - cumulative[lo]! - (nc[lo]! + nc[hi]!) / 2) ** 2;
      };
    }
  }
}
