import { describe, expect, it } from 'vitest';
import { randomInt, seededRandom } from './random.ts';

describe('seededRandom', () => {
  it('replays the same sequence for a seed and another for another seed, within [0, 1)', () => {
    const draw = (seed: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 50 }, () => r.next());
    };
    const a = draw(42);
    expect(draw(42)).toEqual(a);
    expect(draw(43)).not.toEqual(a);
    for (const x of [...a, ...draw(0)]) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('spreads randomInt over every value below n', () => {
    const r = seededRandom(7);
    const seen = new Set(Array.from({ length: 400 }, () => randomInt(r, 8)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
