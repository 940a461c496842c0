import { compareValues, groupByItem, sameValue, type NominalValue, type Rating } from './agreement.ts';

/** Agreement between two annotators over the items both rated. */
export interface PairAgreement {
  annotatorA: string;
  annotatorB: string;
  /** Items both annotators rated. */
  commonItems: number;
  /** Of those, the items where their answers agree. */
  agreedItems: number;
  /** `agreedItems / commonItems`. */
  agreement: number;
}

export interface ContributorsAgreement {
  /** Every annotator with at least one rating, sorted. */
  annotators: string[];
  /** One entry per pair with common items, `annotatorA < annotatorB`, sorted by A then B. */
  pairs: PairAgreement[];
}

/**
 * The contributors-agreement matrix: for every pair of annotators who rated at least one common
 * item, the share of those items where they agree, with the counts. Pairs with no common item
 * are absent (their agreement is unknown, not 0). `agree` decides agreement, `===` by default;
 * pass e.g. `(a, b) => iou(a, b) >= 0.5` to compare shapes.
 */
export function contributorsAgreementMatrix<V>(
  ratings: readonly Rating<V>[],
  agree: (a: V, b: V) => boolean = sameValue,
): ContributorsAgreement {
  const byItem = groupByItem(ratings);
  const annotators = [...new Set([...byItem.values()].flatMap((m) => [...m.keys()]))].sort(compareValues);
  const tallies = new Map<string, PairAgreement>();
  for (const byAnnotator of byItem.values()) {
    const raters = [...byAnnotator.keys()].sort(compareValues);
    for (let i = 0; i < raters.length; i++) {
      const annotatorA = raters[i]!;
      for (let j = i + 1; j < raters.length; j++) {
        const annotatorB = raters[j]!;
        const key = JSON.stringify([annotatorA, annotatorB]);
        let tally = tallies.get(key);
        if (!tally) {
          tally = { annotatorA, annotatorB, commonItems: 0, agreedItems: 0, agreement: 0 };
          tallies.set(key, tally);
        }
        tally.commonItems++;
        if (agree(byAnnotator.get(annotatorA)!, byAnnotator.get(annotatorB)!)) tally.agreedItems++;
      }
    }
  }
  const pairs = [...tallies.values()]
    .map((t) => ({ ...t, agreement: t.agreedItems / t.commonItems }))
    .sort((x, y) => compareValues(x.annotatorA, y.annotatorA) || compareValues(x.annotatorB, y.annotatorB));
  return { annotators, pairs };
}

export interface ConfusionCell<V> {
  row: V;
  column: V;
  /** How many comparisons fell in this cell. */
  count: number;
  /** The items behind those comparisons, each once, in first-seen order. */
  itemIds: string[];
}

export interface ConfusionMatrix<V> {
  /** Every label in some comparison, sorted: the rows and the columns. */
  labels: V[];
  /** The non-empty cells, sorted by row then column. */
  cells: ConfusionCell<V>[];
}

class CellTally<V extends NominalValue> {
  private readonly cells = new Map<string, ConfusionCell<V> & { seen: Set<string> }>();
  readonly labels = new Set<V>();

  add(row: V, column: V, itemId: string): void {
    this.labels.add(row).add(column);
    const key = JSON.stringify([typeof row, row, typeof column, column]);
    let cell = this.cells.get(key);
    if (!cell) this.cells.set(key, (cell = { row, column, count: 0, itemIds: [], seen: new Set() }));
    cell.count++;
    if (!cell.seen.has(itemId)) {
      cell.seen.add(itemId);
      cell.itemIds.push(itemId);
    }
  }

  matrix(): ConfusionMatrix<V> {
    return {
      labels: [...this.labels].sort(compareValues),
      cells: [...this.cells.values()]
        .map(({ row, column, count, itemIds }) => ({ row, column, count, itemIds }))
        .sort((a, b) => compareValues(a.row, b.row) || compareValues(a.column, b.column)),
    };
  }
}

/**
 * The labels confusion matrix between annotators: for every item and every pair of annotators
 * who rated it, one comparison; a pair answering `x` and `y` counts in cell (x, y) and, when
 * x ≠ y, also in (y, x), so the matrix is symmetric and the diagonal holds the agreements. Each
 * cell lists the items behind it, so a reviewer can open the disagreements.
 */
export function labelsConfusionMatrix<V extends NominalValue>(ratings: readonly Rating<V>[]): ConfusionMatrix<V> {
  const tally = new CellTally<V>();
  for (const [itemId, byAnnotator] of groupByItem(ratings)) {
    const values = [...byAnnotator.values()];
    for (let i = 0; i < values.length; i++) {
      const a = values[i]!;
      for (let j = i + 1; j < values.length; j++) {
        const b = values[j]!;
        tally.add(a, b, itemId);
        if (a !== b) tally.add(b, a, itemId);
      }
    }
  }
  return tally.matrix();
}

/**
 * The confusion matrix against gold answers: rows are the gold labels, columns the annotators'
 * answers, one comparison per rating of an item that has a gold answer (ratings of other items
 * are ignored). Each cell lists the items behind it.
 */
export function goldConfusionMatrix<V extends NominalValue>(
  ratings: readonly Rating<V>[],
  gold: ReadonlyMap<string, V>,
): ConfusionMatrix<V> {
  const tally = new CellTally<V>();
  for (const [itemId, byAnnotator] of groupByItem(ratings)) {
    const expected = gold.get(itemId);
    if (expected === undefined) continue;
    for (const value of byAnnotator.values()) tally.add(expected, value, itemId);
  }
  return tally.matrix();
}
