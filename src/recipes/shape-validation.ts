import { z } from 'zod';
import { DomainError } from '../core/errors.ts';
import type { RatingCategory, RecipeLabel, Tool, ValidationRule } from './recipes.table.ts';

/** What validation needs of a recipe (a row from `getRecipe`, or a literal in tests). */
export interface RecipeRules {
  labels: RecipeLabel[];
  tools: Tool[];
  ratingCategories: RatingCategory[];
  validation?: ValidationRule[];
}

const attributeValue = z.union([z.string().max(10_000), z.number().finite(), z.boolean(), z.array(z.string().max(1000)).max(1000)]);
const base = {
  id: z.string().min(1).max(200).optional(),
  attributes: z.record(z.string().max(200), attributeValue).optional(),
};
const coord = z.number().finite();
const label = z.string().min(1).max(500);

/**
 * One shape of an annotation, keyed by its tool. Coordinates are in the image's own units
 * (pixels when `width`/`height` are pixels); span offsets are UTF-16 code units of the text, as
 * JavaScript strings count them. A span on a conversation names its `turn`.
 */
export const shapeSchema = z.discriminatedUnion('tool', [
  z.object({ tool: z.literal('bbox'), label, x: coord, y: coord, w: coord, h: coord, ...base }).strict(),
  z.object({ tool: z.literal('polygon'), label, points: z.array(z.object({ x: coord, y: coord }).strict()).max(10_000), ...base }).strict(),
  z.object({ tool: z.literal('classification'), label, ...base }).strict(),
  z.object({ tool: z.literal('multi_classification'), labels: z.array(label).min(1).max(1000), ...base }).strict(),
  z
    .object({ tool: z.literal('text_span'), label, start: z.number().int().nonnegative(), end: z.number().int().nonnegative(), turn: z.number().int().nonnegative().optional(), ...base })
    .strict(),
  z.object({ tool: z.literal('rating'), category: z.string().min(1).max(500), value: z.number().finite(), ...base }).strict(),
  z.object({ tool: z.literal('free_text'), text: z.string().max(1_000_000), ...base }).strict(),
  // A labelled frame range of an episode, both ends included (docs/robotics.md).
  z.object({ tool: z.literal('segment'), label, startFrame: z.number().int().nonnegative(), endFrame: z.number().int().nonnegative(), ...base }).strict(),
]);
export type Shape = z.infer<typeof shapeSchema>;

/** The names of shape-level rules, carried in the error's `details.rule`. */
export type ShapeRule =
  | 'invalid_shape'
  | 'tool_not_allowed'
  | 'unknown_label'
  | 'unknown_attribute'
  | 'invalid_attribute_value'
  | 'bbox_negative'
  | 'bbox_outside_image'
  | 'polygon_points'
  | 'polygon_outside_image'
  | 'span_invalid'
  | 'span_outside_text'
  | 'unknown_category'
  | 'rating_out_of_scale'
  | 'segment_invalid'
  | 'segment_outside_episode';

const refuse = (shapeIndex: number, rule: ShapeRule, message: string) =>
  new DomainError('validation_failed', `Shape ${shapeIndex}: ${message} (${rule})`, { shapeIndex, rule });

interface ItemView {
  kind: string;
  payload: Record<string, unknown>;
}

const knownSize = (payload: Record<string, unknown>) => {
  const width = Number(payload.width);
  const height = Number(payload.height);
  return Number.isFinite(width) && width > 0 && Number.isFinite(height) && height > 0 ? { width, height } : null;
};

/** The text a span on this item indexes into, or undefined when the item has no known text. */
function spanText(item: ItemView, turn: number | undefined): string | undefined | null {
  if (item.kind === 'text') return turn === undefined ? String(item.payload.text ?? '') : null;
  if (item.kind === 'conversation' || item.kind === 'test_case') {
    const turns = item.payload.turns as Array<{ content?: unknown }> | undefined;
    if (turn === undefined) return null;
    const t = turns?.[turn];
    return t ? String(t.content ?? '') : null;
  }
  return undefined;
}

/** Checks what the item alone decides: geometry inside the image, spans inside the text. */
function checkAgainstItem(shape: Shape, index: number, item: ItemView) {
  if (shape.tool === 'bbox') {
    if (shape.x < 0 || shape.y < 0 || shape.w < 0 || shape.h < 0) throw refuse(index, 'bbox_negative', 'a box has non-negative x, y, w and h');
    const size = item.kind === 'image' ? knownSize(item.payload) : null;
    if (size && (shape.x + shape.w > size.width || shape.y + shape.h > size.height)) {
      throw refuse(index, 'bbox_outside_image', `the box leaves the ${size.width}×${size.height} image`);
    }
  }
  if (shape.tool === 'polygon') {
    if (shape.points.length < 3) throw refuse(index, 'polygon_points', 'a polygon has at least 3 points');
    const size = item.kind === 'image' ? knownSize(item.payload) : null;
    if (size && shape.points.some((p) => p.x < 0 || p.y < 0 || p.x > size.width || p.y > size.height)) {
      throw refuse(index, 'polygon_outside_image', `a point leaves the ${size.width}×${size.height} image`);
    }
  }
  if (shape.tool === 'segment') {
    if (shape.endFrame < shape.startFrame) throw refuse(index, 'segment_invalid', 'a segment’s endFrame is at least its startFrame');
    const frames = item.kind === 'episode' && Array.isArray(item.payload.frames) ? item.payload.frames.length : null;
    if (item.kind !== 'episode') throw refuse(index, 'segment_outside_episode', 'segments annotate episodes only');
    if (frames !== null && shape.endFrame >= frames) throw refuse(index, 'segment_outside_episode', `the segment ends at frame ${shape.endFrame}, past the episode's ${frames} frames (0–${frames - 1})`);
  }
  if (shape.tool === 'text_span') {
    if (shape.end <= shape.start) throw refuse(index, 'span_invalid', 'a span ends after it starts');
    const text = spanText(item, shape.turn);
    if (text === null) throw refuse(index, 'span_outside_text', shape.turn === undefined ? 'a span on this item names no turn' : `turn ${shape.turn} does not exist`);
    if (text !== undefined && shape.end > text.length) throw refuse(index, 'span_outside_text', `the span ends at ${shape.end}, past the text's ${text.length} characters`);
  }
}

function checkAttributes(shape: Shape, index: number, labels: RecipeLabel[]) {
  const given = Object.entries(shape.attributes ?? {});
  if (!given.length) return;
  const defined = new Map(labels.flatMap((l) => l.attributes ?? []).map((a) => [a.name, a]));
  for (const [name, value] of given) {
    const attribute = defined.get(name);
    if (!attribute) throw refuse(index, 'unknown_attribute', `attribute "${name}" is not defined for this label`);
    const options = attribute.options ?? [];
    const ok = (() => {
      switch (attribute.type) {
        case 'select':
          return typeof value === 'string' && options.includes(value);
        case 'multi_select':
          return Array.isArray(value) && value.every((v) => options.includes(v));
        case 'text':
          return typeof value === 'string';
        case 'number':
          return typeof value === 'number';
        case 'boolean':
          return typeof value === 'boolean';
      }
    })();
    if (!ok) {
      const expected = attribute.type === 'select' || attribute.type === 'multi_select' ? `one of ${options.join(', ')}` : `a ${attribute.type}`;
      throw refuse(index, 'invalid_attribute_value', `attribute "${name}" takes ${attribute.type === 'multi_select' ? 'a list of ' : ''}${expected}`);
    }
  }
}

/**
 * Validates an annotation's shapes against a recipe and the item they annotate, and returns them
 * parsed. Pure: reads nothing, writes nothing. Checks, in order per shape: its syntax, that the
 * recipe allows its tool, that its labels exist, that its attributes are defined with allowed
 * values, that a bbox is non-negative and inside the image (when the image's size is known), that
 * a polygon has at least 3 points (inside the image), that a text span lies inside the text (or
 * the named turn), and that a rating names a category and lies within its scale.
 *
 * @throws DomainError `validation_failed` (422) naming the shape index and the rule, with
 *   `details: { shapeIndex, rule }`.
 */
export function validateShapes(recipe: RecipeRules, item: ItemView, shapes: unknown[]): Shape[] {
  return shapes.map((raw, index) => {
    const shape = parseShape(raw, index);
    if (!recipe.tools.includes(shape.tool)) throw refuse(index, 'tool_not_allowed', `the recipe does not offer the ${shape.tool} tool`);
    const byName = new Map(recipe.labels.map((l) => [l.name, l]));
    const shapeLabels = 'label' in shape ? [shape.label] : 'labels' in shape ? shape.labels : [];
    for (const name of shapeLabels) if (!byName.has(name)) throw refuse(index, 'unknown_label', `label "${name}" is not in the recipe`);
    checkAttributes(shape, index, shapeLabels.map((n) => byName.get(n)!));
    checkAgainstItem(shape, index, item);
    if (shape.tool === 'rating') {
      const category = recipe.ratingCategories.find((c) => c.name === shape.category);
      if (!category) throw refuse(index, 'unknown_category', `rating category "${shape.category}" is not in the recipe`);
      if (shape.value < category.min || shape.value > category.max) {
        throw refuse(index, 'rating_out_of_scale', `"${shape.category}" is rated from ${category.min} to ${category.max}, not ${shape.value}`);
      }
    }
    return shape;
  });
}

/**
 * Validates shapes against the item only (syntax, geometry, spans): for gold answers and
 * pre-annotations given without a recipe. Same errors as `validateShapes`.
 */
export function validateShapesForItem(item: ItemView, shapes: unknown[]): Shape[] {
  return shapes.map((raw, index) => {
    const shape = parseShape(raw, index);
    checkAgainstItem(shape, index, item);
    return shape;
  });
}

function parseShape(raw: unknown, index: number): Shape {
  const parsed = shapeSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw refuse(index, 'invalid_shape', `${issue.path.join('.') || 'shape'}: ${issue.message}`);
  }
  return parsed.data;
}
