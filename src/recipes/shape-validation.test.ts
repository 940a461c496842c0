import { describe, expect, it } from 'vitest';
import { DomainError } from '../core/errors.ts';
import { validateShapes, validateShapesForItem, type RecipeRules, type Shape } from './shape-validation.ts';
import { runValidationRules, scorecardPercent, scorecardScore } from './validation-rules.ts';

const recipe: RecipeRules = {
  labels: [
    { name: 'cat', attributes: [{ name: 'pose', type: 'select', options: ['sitting', 'standing'] }, { name: 'tags', type: 'multi_select', options: ['cute', 'fat'] }] },
    { name: 'dog', attributes: [{ name: 'age', type: 'number' }, { name: 'good', type: 'boolean' }, { name: 'note', type: 'text' }] },
    { name: 'person' },
  ],
  tools: ['bbox', 'polygon', 'classification', 'multi_classification', 'text_span', 'rating', 'free_text'],
  ratingCategories: [
    { name: 'tone', min: 1, max: 5, weight: 1 },
    { name: 'accuracy', min: 1, max: 5, weight: 3 },
  ],
};
const image = { kind: 'image', payload: { url: 'https://e.com/a.png', width: 100, height: 50 } };
const text = { kind: 'text', payload: { text: 'hello world' } };
const conversation = { kind: 'conversation', payload: { turns: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello there' }] } };

function ruleOf(fn: () => unknown): { rule: string; shapeIndex?: number; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('validation_failed');
    return { ...(e as DomainError).details, message: (e as DomainError).message } as never;
  }
  throw new Error('expected validation_failed');
}

describe('validateShapes', () => {
  it('accepts valid shapes of every tool and returns them parsed', () => {
    const shapes = [
      { tool: 'bbox', label: 'cat', x: 0, y: 0, w: 100, h: 50, attributes: { pose: 'sitting', tags: ['cute'] } },
      { tool: 'polygon', label: 'dog', points: [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }], attributes: { age: 3, good: true, note: 'x' } },
      { tool: 'classification', label: 'person', id: 's1' },
      { tool: 'multi_classification', labels: ['cat', 'dog'] },
      { tool: 'rating', category: 'tone', value: 5 },
      { tool: 'free_text', text: 'looks fine' },
    ];
    expect(validateShapes(recipe, image, shapes)).toEqual(shapes);
    expect(validateShapes(recipe, text, [{ tool: 'text_span', label: 'person', start: 0, end: 11 }])).toHaveLength(1);
    expect(validateShapes(recipe, conversation, [{ tool: 'text_span', label: 'person', start: 0, end: 11, turn: 1 }])).toHaveLength(1);
  });

  it('names the shape index and rule of the first problem', () => {
    const refused = ruleOf(() => validateShapes(recipe, image, [{ tool: 'classification', label: 'cat' }, { tool: 'classification', label: 'zebra' }]));
    expect(refused).toMatchObject({ rule: 'unknown_label', shapeIndex: 1 });
    expect(refused.message).toContain('Shape 1');
  });

  it('refuses malformed shapes (invalid_shape)', () => {
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'lasso' }])).rule).toBe('invalid_shape');
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'bbox', label: 'cat', x: 0, y: 0, w: 1 }])).rule).toBe('invalid_shape');
  });

  it('refuses a tool the recipe does not offer', () => {
    expect(ruleOf(() => validateShapes({ ...recipe, tools: ['classification'] }, image, [{ tool: 'bbox', label: 'cat', x: 0, y: 0, w: 1, h: 1 }])).rule).toBe('tool_not_allowed');
  });

  it('refuses unknown labels, also inside multi_classification', () => {
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'multi_classification', labels: ['cat', 'cow'] }])).rule).toBe('unknown_label');
  });

  it('refuses attributes the label does not define, or values outside their type or options', () => {
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'classification', label: 'person', attributes: { pose: 'sitting' } }])).rule).toBe('unknown_attribute');
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'classification', label: 'cat', attributes: { pose: 'flying' } }])).rule).toBe('invalid_attribute_value');
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'classification', label: 'cat', attributes: { tags: ['cute', 'evil'] } }])).rule).toBe('invalid_attribute_value');
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'classification', label: 'dog', attributes: { age: 'three' } }])).rule).toBe('invalid_attribute_value');
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'classification', label: 'dog', attributes: { good: 'yes' } }])).rule).toBe('invalid_attribute_value');
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'classification', label: 'dog', attributes: { note: 4 } }])).rule).toBe('invalid_attribute_value');
  });

  it('refuses a negative bbox, and one outside the image when its size is known', () => {
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'bbox', label: 'cat', x: -1, y: 0, w: 1, h: 1 }])).rule).toBe('bbox_negative');
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'bbox', label: 'cat', x: 0, y: 0, w: 1, h: -1 }])).rule).toBe('bbox_negative');
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'bbox', label: 'cat', x: 90, y: 0, w: 11, h: 1 }])).rule).toBe('bbox_outside_image');
    const unknownSize = { kind: 'image', payload: { url: 'https://e.com/a.png' } };
    expect(validateShapes(recipe, unknownSize, [{ tool: 'bbox', label: 'cat', x: 5000, y: 0, w: 1, h: 1 }])).toHaveLength(1);
  });

  it('refuses a polygon with fewer than 3 points, or leaving the image', () => {
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'polygon', label: 'cat', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }])).rule).toBe('polygon_points');
    expect(ruleOf(() => validateShapes(recipe, image, [{ tool: 'polygon', label: 'cat', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 1, y: 51 }] }])).rule).toBe('polygon_outside_image');
  });

  it('refuses a span that is empty, reversed, or outside the text or turn', () => {
    expect(ruleOf(() => validateShapes(recipe, text, [{ tool: 'text_span', label: 'cat', start: 3, end: 3 }])).rule).toBe('span_invalid');
    expect(ruleOf(() => validateShapes(recipe, text, [{ tool: 'text_span', label: 'cat', start: 0, end: 12 }])).rule).toBe('span_outside_text');
    expect(ruleOf(() => validateShapes(recipe, conversation, [{ tool: 'text_span', label: 'cat', start: 0, end: 3, turn: 0 }])).rule).toBe('span_outside_text');
    expect(ruleOf(() => validateShapes(recipe, conversation, [{ tool: 'text_span', label: 'cat', start: 0, end: 1, turn: 5 }])).rule).toBe('span_outside_text');
    expect(ruleOf(() => validateShapes(recipe, conversation, [{ tool: 'text_span', label: 'cat', start: 0, end: 1 }])).rule).toBe('span_outside_text');
  });

  it('refuses a rating of an unknown category or outside its scale', () => {
    expect(ruleOf(() => validateShapes(recipe, text, [{ tool: 'rating', category: 'speed', value: 3 }])).rule).toBe('unknown_category');
    expect(ruleOf(() => validateShapes(recipe, text, [{ tool: 'rating', category: 'tone', value: 6 }])).rule).toBe('rating_out_of_scale');
    expect(ruleOf(() => validateShapes(recipe, text, [{ tool: 'rating', category: 'tone', value: 0 }])).rule).toBe('rating_out_of_scale');
  });

  it('checks gold without a recipe against the item only', () => {
    expect(validateShapesForItem(image, [{ tool: 'classification', label: 'anything' }])).toHaveLength(1);
    expect(ruleOf(() => validateShapesForItem(image, [{ tool: 'bbox', label: 'x', x: 0, y: 0, w: 200, h: 1 }])).rule).toBe('bbox_outside_image');
  });
});

describe('runValidationRules', () => {
  const parse = (shapes: unknown[]) => validateShapes(recipe, text, shapes);
  const ruled = (validation: RecipeRules['validation']) => ({ ...recipe, validation });

  it('required_tool enforces min (default 1) and max, with the rule’s own message', () => {
    const r = ruled([{ rule: 'required_tool', tool: 'classification', min: 1, max: 1, message: 'Pick exactly one class' }]);
    const none = ruleOf(() => runValidationRules(r, parse([])));
    expect(none).toMatchObject({ rule: 'required_tool', message: 'Pick exactly one class' });
    expect(() => runValidationRules(r, parse([{ tool: 'classification', label: 'cat' }]))).not.toThrow();
    expect(ruleOf(() => runValidationRules(r, parse([{ tool: 'classification', label: 'cat' }, { tool: 'classification', label: 'dog' }]))).rule).toBe('required_tool');
  });

  it('required_attribute needs the attribute on every shape with the label', () => {
    const r = ruled([{ rule: 'required_attribute', label: 'cat', attribute: 'pose' }]);
    expect(() => runValidationRules(r, parse([{ tool: 'classification', label: 'cat', attributes: { pose: 'sitting' } }]))).not.toThrow();
    expect(ruleOf(() => runValidationRules(r, parse([{ tool: 'classification', label: 'cat' }])))).toMatchObject({ rule: 'required_attribute', shapeIndex: 0 });
  });

  it('enforces attributes the ontology marks required', () => {
    const r: RecipeRules = { ...recipe, labels: [{ name: 'cat', attributes: [{ name: 'pose', type: 'text', required: true }] }] };
    expect(ruleOf(() => runValidationRules(r, [{ tool: 'classification', label: 'cat' } as Shape])).rule).toBe('required_attribute');
  });

  it('allowed_labels limits the labels one tool may use', () => {
    const r = ruled([{ rule: 'allowed_labels', tool: 'bbox', labels: ['cat'] }]);
    expect(() => runValidationRules(r, parse([{ tool: 'bbox', label: 'cat', x: 0, y: 0, w: 1, h: 1 }, { tool: 'classification', label: 'dog' }]))).not.toThrow();
    expect(ruleOf(() => runValidationRules(r, parse([{ tool: 'bbox', label: 'dog', x: 0, y: 0, w: 1, h: 1 }])))).toMatchObject({ rule: 'allowed_labels', shapeIndex: 0 });
  });

  it('no_overlapping_spans refuses overlapping spans in one text, and allows touching ones', () => {
    const r = ruled([{ rule: 'no_overlapping_spans' }]);
    expect(() => runValidationRules(r, parse([{ tool: 'text_span', label: 'cat', start: 0, end: 5 }, { tool: 'text_span', label: 'dog', start: 5, end: 8 }]))).not.toThrow();
    expect(ruleOf(() => runValidationRules(r, parse([{ tool: 'text_span', label: 'cat', start: 6, end: 9 }, { tool: 'text_span', label: 'dog', start: 0, end: 7 }])))).toMatchObject({ rule: 'no_overlapping_spans' });
  });
});

describe('scorecardScore', () => {
  it('is the weighted mean of the rated categories, null when nothing is rated', () => {
    const shapes = validateShapes(recipe, text, [{ tool: 'rating', category: 'tone', value: 5 }, { tool: 'rating', category: 'accuracy', value: 1 }]);
    expect(scorecardScore(recipe, shapes)).toBe((5 * 1 + 1 * 3) / 4);
    expect(scorecardPercent(recipe, shapes)).toBe((100 * 1 + 0 * 3) / 4);
    expect(scorecardScore(recipe, validateShapes(recipe, text, [{ tool: 'rating', category: 'tone', value: 4 }]))).toBe(4);
    expect(scorecardScore(recipe, [])).toBeNull();
  });
});
