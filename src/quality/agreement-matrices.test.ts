import { describe, expect, it } from 'vitest';
import { contributorsAgreementMatrix, goldConfusionMatrix, labelsConfusionMatrix } from './agreement-matrices.ts';
import type { Rating } from './agreement.ts';

const r = <V>(itemId: string, annotatorId: string, value: V | null): Rating<V> => ({ itemId, annotatorId, value });

const ratings: Rating<string>[] = [
  r('i1', 'bob', 'cat'),
  r('i1', 'ann', 'cat'),
  r('i1', 'cid', 'dog'),
  r('i2', 'ann', 'dog'),
  r('i2', 'bob', 'dog'),
  r('i3', 'ann', 'cat'),
  r('i3', 'bob', 'dog'),
  r('i4', 'cid', 'bird'),
  r<string>('i5', 'dan', null),
];

describe('contributorsAgreementMatrix', () => {
  it('gives each pair of annotators the share of their common items where they agree', () => {
    expect(contributorsAgreementMatrix(ratings)).toEqual({
      annotators: ['ann', 'bob', 'cid'],
      pairs: [
        { annotatorA: 'ann', annotatorB: 'bob', commonItems: 3, agreedItems: 2, agreement: 2 / 3 },
        { annotatorA: 'ann', annotatorB: 'cid', commonItems: 1, agreedItems: 0, agreement: 0 },
        { annotatorA: 'bob', annotatorB: 'cid', commonItems: 1, agreedItems: 0, agreement: 0 },
      ],
    });
  });

  it('leaves out pairs with no common item', () => {
    const apart = [r('i1', 'ann', 'cat'), r('i2', 'bob', 'cat')];
    expect(contributorsAgreementMatrix(apart)).toEqual({ annotators: ['ann', 'bob'], pairs: [] });
    expect(contributorsAgreementMatrix([])).toEqual({ annotators: [], pairs: [] });
  });

  it('decides agreement with the function given', () => {
    const scores = [r('i1', 'ann', 3), r('i1', 'bob', 4), r('i2', 'ann', 1), r('i2', 'bob', 5)];
    const close = contributorsAgreementMatrix(scores, (a, b) => Math.abs(a - b) <= 1);
    expect(close.pairs[0]).toMatchObject({ commonItems: 2, agreedItems: 1, agreement: 0.5 });
  });
});

describe('labelsConfusionMatrix', () => {
  it('counts each pair of answers in a symmetric matrix whose cells list their items', () => {
    // i1: ann–bob cat/cat, ann–cid cat/dog, bob–cid cat/dog; i2: dog/dog; i3: cat/dog.
    expect(labelsConfusionMatrix(ratings)).toEqual({
      labels: ['cat', 'dog'],
      cells: [
        { row: 'cat', column: 'cat', count: 1, itemIds: ['i1'] },
        { row: 'cat', column: 'dog', count: 3, itemIds: ['i1', 'i3'] },
        { row: 'dog', column: 'cat', count: 3, itemIds: ['i1', 'i3'] },
        { row: 'dog', column: 'dog', count: 1, itemIds: ['i2'] },
      ],
    });
  });

  it('is empty for empty input or a single rater', () => {
    expect(labelsConfusionMatrix([])).toEqual({ labels: [], cells: [] });
    expect(labelsConfusionMatrix([r('i1', 'ann', 'cat'), r('i2', 'ann', 'dog')])).toEqual({ labels: [], cells: [] });
  });

  it('orders numeric labels numerically', () => {
    const numeric = [r('i1', 'a', 10), r('i1', 'b', 9), r('i2', 'a', 2), r('i2', 'b', 2)];
    expect(labelsConfusionMatrix(numeric).labels).toEqual([2, 9, 10]);
  });
});

describe('goldConfusionMatrix', () => {
  it('puts gold answers in rows and the annotators’ answers in columns', () => {
    const gold = new Map([
      ['i1', 'cat'],
      ['i3', 'dog'],
    ]);
    expect(goldConfusionMatrix(ratings, gold)).toEqual({
      labels: ['cat', 'dog'],
      cells: [
        { row: 'cat', column: 'cat', count: 2, itemIds: ['i1'] },
        { row: 'cat', column: 'dog', count: 1, itemIds: ['i1'] },
        { row: 'dog', column: 'cat', count: 1, itemIds: ['i3'] },
        { row: 'dog', column: 'dog', count: 1, itemIds: ['i3'] },
      ],
    });
  });
});
