import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boxArea,
  boxIntersectionArea,
  boxIoU,
  boxToPolygon,
  polygonArea,
  polygonIntersectionArea,
  polygonIoU,
  type Box,
  type Point,
} from './geometry.ts';

const pts = (...xy: [number, number][]): Point[] => xy.map(([x, y]) => ({ x, y }));

/** Area 3: the unit-width L made of the square [0,2]² minus its top-right quarter [1,2]². */
const lShape = pts([0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]);
/** Area 7: the square [0,3]² minus the notch [1,2]×[1,3]. */
const uShape = pts([0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]);
const square = (x: number, y: number, side: number) => boxToPolygon({ x, y, w: side, h: side });

/**
 * Independent oracle: Sutherland–Hodgman, which is exact when the clip polygon is convex (the
 * subject may be concave; the result may hold zero-width bridges that add no area).
 */
function clipByConvex(subject: Point[], convexCcw: Point[]): Point[] {
  let out = subject;
  for (let i = 0; i < convexCcw.length && out.length > 0; i++) {
    const c = convexCcw[i]!;
    const d = convexCcw[(i + 1) % convexCcw.length]!;
    const side = (p: Point) => (d.x - c.x) * (p.y - c.y) - (d.y - c.y) * (p.x - c.x);
    const input = out;
    out = [];
    for (let k = 0; k < input.length; k++) {
      const p = input[k]!;
      const q = input[(k + 1) % input.length]!;
      const sp = side(p);
      const sq = side(q);
      if (sp >= 0) out.push(p);
      if (sp >= 0 !== sq >= 0) {
        const t = sp / (sp - sq);
        out.push({ x: p.x + t * (q.x - p.x), y: p.y + t * (q.y - p.y) });
      }
    }
  }
  return out;
}

/** A star-shaped (generally concave, always simple) polygon around (cx, cy). */
const starPolygon = fc
  .record({
    cx: fc.double({ min: -5, max: 5, noNaN: true }),
    cy: fc.double({ min: -5, max: 5, noNaN: true }),
    radii: fc.array(fc.double({ min: 0.5, max: 6, noNaN: true }), { minLength: 3, maxLength: 12 }),
  })
  .map(({ cx, cy, radii }) =>
    radii.map((r, i) => {
      const angle = (2 * Math.PI * i) / radii.length;
      return { x: cx + r * Math.cos(angle), y: cy + r * Math.sin(angle) };
    }),
  );

const integerBox = fc.record({
  x: fc.integer({ min: -4, max: 4 }),
  y: fc.integer({ min: -4, max: 4 }),
  w: fc.integer({ min: 0, max: 5 }),
  h: fc.integer({ min: 0, max: 5 }),
});

describe('boxIoU', () => {
  it('is 1 for identical boxes and 0 for disjoint or edge-touching ones', () => {
    const box = { x: 10, y: 20, w: 30, h: 40 };
    expect(boxIoU(box, box)).toBe(1);
    expect(boxIoU(box, { x: 100, y: 100, w: 5, h: 5 })).toBe(0);
    expect(boxIoU(box, { x: 40, y: 20, w: 10, h: 40 })).toBe(0);
  });

  it('divides the overlap by the union', () => {
    // [0,2]² and [1,3]²: overlap 1, union 4 + 4 − 1 = 7.
    expect(boxIoU({ x: 0, y: 0, w: 2, h: 2 }, { x: 1, y: 1, w: 2, h: 2 })).toBeCloseTo(1 / 7, 12);
  });

  it('reads negative widths and heights as boxes drawn the other way', () => {
    expect(boxIoU({ x: 2, y: 2, w: -2, h: -2 }, { x: 0, y: 0, w: 2, h: 2 })).toBe(1);
    expect(boxArea({ x: 0, y: 0, w: -3, h: 2 })).toBe(6);
  });

  it('returns 0, not NaN, for two degenerate boxes', () => {
    expect(boxIoU({ x: 0, y: 0, w: 0, h: 0 }, { x: 0, y: 0, w: 0, h: 0 })).toBe(0);
  });
});

describe('polygonArea', () => {
  it('measures concave polygons in either orientation, closed or not', () => {
    expect(polygonArea(lShape)).toBe(3);
    expect(polygonArea([...lShape].reverse())).toBe(3);
    expect(polygonArea([...uShape, uShape[0]!])).toBe(7);
    expect(polygonArea(pts([0, 0], [1, 1]))).toBe(0);
  });
});

describe('polygonIntersectionArea', () => {
  it('intersects an L-shape and a square straddling its notch on the actual shapes', () => {
    // The square [0.5,1.5]² loses its top-right quarter [1,1.5]² to the L's notch: 1 − 0.25.
    expect(polygonIntersectionArea(lShape, square(0.5, 0.5, 1))).toBeCloseTo(0.75, 12);
    // IoU 0.75 / (3 + 1 − 0.75); the bounding box of the L would give 1/4 instead.
    expect(polygonIoU(lShape, square(0.5, 0.5, 1))).toBeCloseTo(0.75 / 3.25, 12);
  });

  it('gives 0 for a square sitting wholly in the notch of the L', () => {
    expect(polygonIntersectionArea(lShape, square(1, 1, 1))).toBe(0);
    expect(polygonIntersectionArea(lShape, square(1.2, 1.2, 0.5))).toBe(0);
  });

  it('adds up an intersection that falls apart into pieces', () => {
    // A bar across both arms of the U: two 1 × 0.5 pieces.
    const bar = boxToPolygon({ x: -1, y: 2, w: 5, h: 0.5 });
    expect(polygonIntersectionArea(uShape, bar)).toBeCloseTo(1, 12);
    expect(polygonIoU(uShape, bar)).toBeCloseTo(1 / (7 + 2.5 - 1), 12);
  });

  it('intersects two concave polygons', () => {
    // By unit cells [i,i+1]×[j,j+1]: the L is {(0,0),(1,0),(0,1)}; turned 180° about (1.5,1.5)
    // it is {(2,2),(1,2),(2,1)}, disjoint from the L.
    const turned = lShape.map(({ x, y }) => ({ x: 3 - x, y: 3 - y }));
    expect(polygonIntersectionArea(lShape, turned)).toBe(0);
    // Shift the turned L by (−1, −1): cells {(1,1),(0,1),(1,0)}, sharing (1,0) and (0,1) with L.
    const shifted = turned.map(({ x, y }) => ({ x: x - 1, y: y - 1 }));
    expect(polygonIntersectionArea(lShape, shifted)).toBeCloseTo(2, 12);
    expect(polygonIoU(lShape, shifted)).toBeCloseTo(2 / 4, 12);
  });

  it('counts a shared edge once whether the polygons lie on the same or opposite sides of it', () => {
    const a = square(0, 0, 2);
    expect(polygonIntersectionArea(a, boxToPolygon({ x: 1, y: 0, w: 2, h: 2 }))).toBeCloseTo(2, 12);
    expect(polygonIntersectionArea(a, square(2, 0, 2))).toBe(0);
    expect(polygonIntersectionArea(a, square(2, 2, 2))).toBe(0);
    expect(polygonIntersectionArea(a, a)).toBeCloseTo(4, 12);
    expect(polygonIoU(lShape, [...lShape].reverse())).toBeCloseTo(1, 12);
  });

  it('returns the inner polygon when one contains the other', () => {
    expect(polygonIntersectionArea(square(-10, -10, 30), uShape)).toBeCloseTo(7, 12);
    expect(polygonIntersectionArea(uShape, square(0.25, 0.25, 0.5))).toBeCloseTo(0.25, 12);
  });

  it('returns 0 for degenerate polygons', () => {
    expect(polygonIntersectionArea(pts([0, 0], [1, 0], [2, 0]), square(0, -1, 3))).toBe(0);
    expect(polygonIoU([], [])).toBe(0);
  });

  it('agrees with box intersection on axis-aligned boxes, shared edges included', () => {
    fc.assert(
      fc.property(integerBox, integerBox, (a: Box, b: Box) => {
        const area = polygonIntersectionArea(boxToPolygon(a), boxToPolygon(b));
        expect(area).toBeCloseTo(boxIntersectionArea(a, b), 9);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with Sutherland–Hodgman where that is exact: a concave polygon clipped by a convex one', () => {
    const convex = fc.oneof(
      fc.record({
        x: fc.double({ min: -8, max: 8, noNaN: true }),
        y: fc.double({ min: -8, max: 8, noNaN: true }),
        w: fc.double({ min: 0.1, max: 10, noNaN: true }),
        h: fc.double({ min: 0.1, max: 10, noNaN: true }),
      }).map(boxToPolygon),
      fc.tuple(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 1, max: 8, noNaN: true }))
        .map(([cx, cy, r]) => pts([cx, cy], [cx + r, cy], [cx, cy + r])),
    );
    fc.assert(
      fc.property(starPolygon, convex, (p, q) => {
        const expected = polygonArea(clipByConvex(p, q));
        expect(polygonIntersectionArea(p, q)).toBeCloseTo(expected, 6);
        expect(polygonIntersectionArea(q, p)).toBeCloseTo(expected, 6);
      }),
      { numRuns: 300 },
    );
  });

  it('splits a concave polygon exactly in two along any vertical line', () => {
    fc.assert(
      fc.property(starPolygon, fc.double({ min: -8, max: 8, noNaN: true }), (p, cut) => {
        const left = boxToPolygon({ x: -100, y: -100, w: cut + 100, h: 200 });
        const right = boxToPolygon({ x: cut, y: -100, w: 100 - cut, h: 200 });
        const sum = polygonIntersectionArea(p, left) + polygonIntersectionArea(p, right);
        expect(sum).toBeCloseTo(polygonArea(p), 6);
      }),
      { numRuns: 300 },
    );
  });

  it('is symmetric and bounded by the smaller area for two concave polygons', () => {
    fc.assert(
      fc.property(starPolygon, starPolygon, (p, q) => {
        const pq = polygonIntersectionArea(p, q);
        expect(pq).toBeCloseTo(polygonIntersectionArea(q, p), 6);
        expect(pq).toBeLessThanOrEqual(Math.min(polygonArea(p), polygonArea(q)) + 1e-9);
        expect(pq).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 300 },
    );
  });

  it('matches a fine grid count for two concave polygons', () => {
    const inside = (p: Point, ring: Point[]) => {
      let odd = false;
      for (let i = 0; i < ring.length; i++) {
        const c = ring[i]!;
        const d = ring[(i + 1) % ring.length]!;
        if (c.y > p.y !== d.y > p.y && p.x < c.x + ((p.y - c.y) * (d.x - c.x)) / (d.y - c.y)) odd = !odd;
      }
      return odd;
    };
    const star = (cx: number, cy: number, radii: number[]) =>
      radii.map((r, i) => ({ x: cx + r * Math.cos((2 * Math.PI * i) / radii.length), y: cy + r * Math.sin((2 * Math.PI * i) / radii.length) }));
    const p = star(0, 0, [4, 1, 4, 1, 4, 1, 4, 1, 4, 1]);
    const q = star(1, 0.5, [3.5, 0.8, 3.5, 0.8, 3.5, 0.8]);
    const step = 0.01;
    let cells = 0;
    for (let x = -6 + step / 2; x < 6; x += step) {
      for (let y = -6 + step / 2; y < 6; y += step) {
        if (inside({ x, y }, p) && inside({ x, y }, q)) cells++;
      }
    }
    expect(polygonIntersectionArea(p, q)).toBeCloseTo(cells * step * step, 1);
  });
});
