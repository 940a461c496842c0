/**
 * Plane geometry for comparing shapes: areas, intersections and IoU of axis-aligned boxes and of
 * simple polygons. Pure functions; coordinates are plain numbers in any unit (pixels or
 * normalized 0..1), y may point up or down.
 */

export interface Point {
  x: number;
  y: number;
}

/** An axis-aligned box; a negative `w` or `h` (drawn right-to-left) is read as its mirror. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Span {
  min: number;
  max: number;
}

const spanOf = (start: number, length: number): Span =>
  length >= 0 ? { min: start, max: start + length } : { min: start + length, max: start };

const overlap = (a: Span, b: Span): number => Math.max(0, Math.min(a.max, b.max) - Math.max(a.min, b.min));

/** Area of a box: `|w| · |h|`. */
export function boxArea(box: Box): number {
  return Math.abs(box.w) * Math.abs(box.h);
}

/** Area of the intersection of two boxes; 0 when they only touch or are apart. */
export function boxIntersectionArea(a: Box, b: Box): number {
  return overlap(spanOf(a.x, a.w), spanOf(b.x, b.w)) * overlap(spanOf(a.y, a.h), spanOf(b.y, b.h));
}

/**
 * Intersection over union of two boxes: `|A ∩ B| / (|A| + |B| − |A ∩ B|)`, in [0, 1].
 * Returns 0 when the union has no area (two degenerate boxes), so the result is never NaN.
 */
export function boxIoU(a: Box, b: Box): number {
  const inter = boxIntersectionArea(a, b);
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? clamp01(inter / union) : 0;
}

/** The four corners of a box, counter-clockwise in a y-up frame. */
export function boxToPolygon(box: Box): Point[] {
  const x = spanOf(box.x, box.w);
  const y = spanOf(box.y, box.h);
  return [
    { x: x.min, y: y.min },
    { x: x.max, y: y.min },
    { x: x.max, y: y.max },
    { x: x.min, y: y.max },
  ];
}

/** Signed shoelace area: positive for counter-clockwise points in a y-up frame. */
function signedArea(points: readonly Point[]): number {
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i]!;
    const b = points[(i + 1) % points.length]!;
    twice += a.x * b.y - b.x * a.y;
  }
  return twice / 2;
}

/** Area of a simple polygon (shoelace formula), whatever its orientation; 0 under three points. */
export function polygonArea(points: readonly Point[]): number {
  return Math.abs(signedArea(normalize(points)));
}

/**
 * Drops repeated consecutive points (an explicitly closed ring repeats its first point) and
 * orients the ring counter-clockwise, which the boundary walk below relies on.
 */
function normalize(points: readonly Point[]): Point[] {
  const ring: Point[] = [];
  for (const p of points) {
    const last = ring[ring.length - 1];
    if (!last || last.x !== p.x || last.y !== p.y) ring.push({ x: p.x, y: p.y });
  }
  while (ring.length > 1 && samePoint(ring[0]!, ring[ring.length - 1]!)) ring.pop();
  if (ring.length < 3) return [];
  return signedArea(ring) < 0 ? ring.reverse() : ring;
}

const samePoint = (p: Point, q: Point): boolean => p.x === q.x && p.y === q.y;

const cross = (ax: number, ay: number, bx: number, by: number): number => ax * by - ay * bx;

type Location = { kind: 'inside' } | { kind: 'outside' } | { kind: 'boundary'; from: Point; to: Point };

/** Where `p` lies relative to the ring: on an edge (within `eps`), else by the crossing-number rule. */
function locate(p: Point, ring: readonly Point[], eps: number): Location {
  let inside = false;
  for (let i = 0; i < ring.length; i++) {
    const c = ring[i]!;
    const d = ring[(i + 1) % ring.length]!;
    if (distanceToSegment(p, c, d) <= eps) return { kind: 'boundary', from: c, to: d };
    if (c.y > p.y !== d.y > p.y) {
      const xAtY = c.x + ((p.y - c.y) * (d.x - c.x)) / (d.y - c.y);
      if (p.x < xAtY) inside = !inside;
    }
  }
  return inside ? { kind: 'inside' } : { kind: 'outside' };
}

function distanceToSegment(p: Point, c: Point, d: Point): number {
  const sx = d.x - c.x;
  const sy = d.y - c.y;
  const len2 = sx * sx + sy * sy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - c.x) * sx + (p.y - c.y) * sy) / len2));
  return Math.hypot(p.x - (c.x + t * sx), p.y - (c.y + t * sy));
}

/**
 * Parameters in (0, 1) at which segment a→b meets the boundary of `ring`: proper crossings, ring
 * vertices touching it, and the ends of collinear overlaps. Splitting there leaves sub-segments
 * that each lie wholly inside, outside, or along the boundary of the ring.
 */
function splitParameters(a: Point, b: Point, ring: readonly Point[], eps: number): number[] {
  const rx = b.x - a.x;
  const ry = b.y - a.y;
  const rLen = Math.hypot(rx, ry);
  const ts = [0, 1];
  const add = (t: number) => {
    if (t > 0 && t < 1) ts.push(t);
  };
  for (let i = 0; i < ring.length; i++) {
    const c = ring[i]!;
    const d = ring[(i + 1) % ring.length]!;
    const sx = d.x - c.x;
    const sy = d.y - c.y;
    const sLen = Math.hypot(sx, sy);
    const denom = cross(rx, ry, sx, sy);
    const acx = c.x - a.x;
    const acy = c.y - a.y;
    if (Math.abs(denom) > 1e-12 * rLen * sLen) {
      const t = cross(acx, acy, sx, sy) / denom;
      const u = cross(acx, acy, rx, ry) / denom;
      const uSlack = eps / sLen;
      if (u >= -uSlack && u <= 1 + uSlack) add(t);
    } else if (Math.abs(cross(acx, acy, rx, ry)) <= eps * rLen) {
      // Collinear: the overlap starts or ends where c or d project onto a→b.
      const r2 = rLen * rLen;
      add((acx * rx + acy * ry) / r2);
      add(((d.x - a.x) * rx + (d.y - a.y) * ry) / r2);
    }
  }
  return ts.sort((x, y) => x - y);
}

/**
 * Twice the signed-area contribution (Green's theorem, `Σ x·dy − y·dx`) of the parts of `ring`'s
 * edges that bound `ring ∩ other`. Parts strictly inside `other` count. Parts lying along
 * `other`'s boundary count only if both rings run the same way there (both interiors on the same
 * side, so the part bounds the intersection) and `countShared` is set, so that a shared stretch
 * is counted from one ring only; running opposite ways, the interiors lie on either side and the
 * part bounds nothing.
 */
function boundaryContribution(ring: readonly Point[], other: readonly Point[], countShared: boolean, eps: number): number {
  let twice = 0;
  for (let i = 0; i < ring.length; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % ring.length]!;
    const rx = b.x - a.x;
    const ry = b.y - a.y;
    const ts = splitParameters(a, b, other, eps);
    for (let k = 0; k + 1 < ts.length; k++) {
      const t0 = ts[k]!;
      const t1 = ts[k + 1]!;
      if (t1 - t0 <= 1e-15) continue;
      const tm = (t0 + t1) / 2;
      const where = locate({ x: a.x + tm * rx, y: a.y + tm * ry }, other, eps);
      let counts = where.kind === 'inside';
      if (where.kind === 'boundary' && countShared) {
        const { from: c, to: d } = where;
        counts = rx * (d.x - c.x) + ry * (d.y - c.y) > 0;
      }
      if (counts) {
        const p0x = a.x + t0 * rx;
        const p0y = a.y + t0 * ry;
        const p1x = a.x + t1 * rx;
        const p1y = a.y + t1 * ry;
        twice += cross(p0x, p0y, p1x, p1y);
      }
    }
  }
  return twice;
}

/**
 * Area of the intersection of two simple polygons, convex or concave (no holes, no
 * self-intersections; the intersection may fall apart into several pieces).
 *
 * Method: the boundary of `P ∩ Q` is made of the parts of P's edges inside Q, the parts of Q's
 * edges inside P, and the stretches both boundaries share with both interiors on the same side.
 * With both rings oriented counter-clockwise, each part keeps its direction in the boundary of
 * the intersection, so the shoelace sum over the parts (Green's theorem) is the intersection's
 * area: no clipped polygon needs to be assembled. Unlike Sutherland–Hodgman, this is exact for
 * concave clip polygons; unlike Greiner–Hormann, shared edges and touching vertices need no
 * perturbation. Points are compared with a tolerance of 1e-9 of the shapes' extent.
 *
 * Guarantees: symmetric, in `[0, min(|P|, |Q|)]`; 0 for polygons under three distinct points.
 * Cost: O(|P|·|Q|·(|P| + |Q|)), meant for annotation-sized polygons (hundreds of points).
 */
export function polygonIntersectionArea(p: readonly Point[], q: readonly Point[]): number {
  const a = normalize(p);
  const b = normalize(q);
  if (a.length === 0 || b.length === 0) return 0;
  const areaA = signedArea(a);
  const areaB = signedArea(b);
  if (areaA <= 0 || areaB <= 0) return 0;
  const xs = [...a, ...b].map((pt) => pt.x);
  const ys = [...a, ...b].map((pt) => pt.y);
  const extent = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
  const eps = 1e-9 * extent;
  const twice = boundaryContribution(a, b, true, eps) + boundaryContribution(b, a, false, eps);
  return Math.min(Math.max(0, twice / 2), areaA, areaB);
}

/**
 * Intersection over union of two simple polygons, computed on the polygons themselves (not on
 * their bounding boxes): `|P ∩ Q| / (|P| + |Q| − |P ∩ Q|)`, in [0, 1]. Returns 0 when the union
 * has no area, so the result is never NaN. See `polygonIntersectionArea` for what is supported.
 */
export function polygonIoU(p: readonly Point[], q: readonly Point[]): number {
  const inter = polygonIntersectionArea(p, q);
  const union = polygonArea(p) + polygonArea(q) - inter;
  return union > 0 ? clamp01(inter / union) : 0;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
