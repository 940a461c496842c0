import { DomainError } from '../core/errors.ts';
import type { ValidationRule } from './recipes.table.ts';
import type { RecipeRules, Shape } from './shape-validation.ts';

const labelsOf = (shape: Shape): string[] => ('label' in shape ? [shape.label] : 'labels' in shape ? shape.labels : []);

const isEmpty = (value: unknown) => value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);

function broken(rule: ValidationRule, ruleIndex: number, fallback: string, shapeIndex?: number): DomainError {
  return new DomainError('validation_failed', rule.message ?? fallback, {
    rule: rule.rule,
    ruleIndex,
    ...(shapeIndex === undefined ? {} : { shapeIndex }),
  });
}

/**
 * Runs a recipe's declarative validation rules over an annotation's (already validated) shapes,
 * when an item's status is set. Also enforces label attributes marked `required: true` (as rule
 * `required_attribute`). Pure; no user code is ever run: the rules are data.
 *
 * @throws DomainError `validation_failed` (422) with the rule's own `message` when it has one,
 *   and `details: { rule, ruleIndex, shapeIndex? }` (`ruleIndex` -1 for a label's required attribute).
 */
export function runValidationRules(recipe: RecipeRules, shapes: Shape[]): void {
  const rules = recipe.validation ?? [];
  rules.forEach((rule, ruleIndex) => {
    switch (rule.rule) {
      case 'required_tool': {
        const count = shapes.filter((s) => s.tool === rule.tool).length;
        const min = rule.min ?? 1;
        if (count < min) throw broken(rule, ruleIndex, `At least ${min} ${rule.tool} shape(s) are required; found ${count}`);
        if (rule.max !== undefined && count > rule.max) throw broken(rule, ruleIndex, `At most ${rule.max} ${rule.tool} shape(s) are allowed; found ${count}`);
        return;
      }
      case 'required_attribute': {
        const index = shapes.findIndex((s) => labelsOf(s).includes(rule.label) && isEmpty(s.attributes?.[rule.attribute]));
        if (index >= 0) throw broken(rule, ruleIndex, `Shape ${index} labelled "${rule.label}" needs attribute "${rule.attribute}"`, index);
        return;
      }
      case 'allowed_labels': {
        const index = shapes.findIndex((s) => s.tool === rule.tool && labelsOf(s).some((l) => !rule.labels.includes(l)));
        if (index >= 0) throw broken(rule, ruleIndex, `Shape ${index}: the ${rule.tool} tool takes only ${rule.labels.join(', ')}`, index);
        return;
      }
      case 'no_overlapping_spans': {
        const spans = shapes
          .map((s, index) => ({ s, index }))
          .filter((x): x is { s: Extract<Shape, { tool: 'text_span' }>; index: number } => x.s.tool === 'text_span')
          .sort((a, b) => (a.s.turn ?? -1) - (b.s.turn ?? -1) || a.s.start - b.s.start);
        for (let i = 1; i < spans.length; i++) {
          const prev = spans[i - 1]!;
          const cur = spans[i]!;
          if ((prev.s.turn ?? -1) === (cur.s.turn ?? -1) && cur.s.start < prev.s.end) {
            throw broken(rule, ruleIndex, `Spans ${prev.index} and ${cur.index} overlap`, cur.index);
          }
        }
        return;
      }
    }
  });
  // Attributes the ontology itself marks required.
  const byName = new Map(recipe.labels.map((l) => [l.name, l]));
  shapes.forEach((shape, index) => {
    for (const name of labelsOf(shape)) {
      for (const attribute of byName.get(name)?.attributes ?? []) {
        if (attribute.required && isEmpty(shape.attributes?.[attribute.name])) {
          throw new DomainError('validation_failed', `Shape ${index} labelled "${name}" needs attribute "${attribute.name}"`, {
            rule: 'required_attribute',
            ruleIndex: -1,
            shapeIndex: index,
          });
        }
      }
    }
  });
}

/**
 * A scorecard's score: the weighted mean of its rating shapes' values, over the categories that
 * were rated (a category's weight counts only when it has a rating). Null when nothing is rated.
 * Meaningful as is when categories share a scale; `scorecardPercent` normalizes each to its scale.
 */
export function scorecardScore(recipe: Pick<RecipeRules, 'ratingCategories'>, shapes: Shape[]): number | null {
  return weightedMean(recipe, shapes, (value) => value);
}

/** The weighted mean with each rating first mapped to 0–100 % of its category's scale. */
export function scorecardPercent(recipe: Pick<RecipeRules, 'ratingCategories'>, shapes: Shape[]): number | null {
  return weightedMean(recipe, shapes, (value, c) => (c.max === c.min ? 100 : ((value - c.min) / (c.max - c.min)) * 100));
}

function weightedMean(
  recipe: Pick<RecipeRules, 'ratingCategories'>,
  shapes: Shape[],
  map: (value: number, category: RecipeRules['ratingCategories'][number]) => number,
): number | null {
  let sum = 0;
  let weights = 0;
  for (const category of recipe.ratingCategories) {
    const rating = shapes.find((s): s is Extract<Shape, { tool: 'rating' }> => s.tool === 'rating' && s.category === category.name);
    if (!rating || category.weight <= 0) continue;
    sum += category.weight * map(rating.value, category);
    weights += category.weight;
  }
  return weights > 0 ? sum / weights : null;
}
