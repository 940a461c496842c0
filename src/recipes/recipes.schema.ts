import { z } from 'zod';
import { tools } from './recipes.table.ts';

const name = z.string().trim().min(1).max(200);

export const attributeSchema = z
  .object({
    name,
    type: z.enum(['select', 'multi_select', 'text', 'number', 'boolean']),
    options: z.array(z.string().min(1).max(200)).max(500).optional(),
    required: z.boolean().optional(),
  })
  .strict();

export const labelSchema = z
  .object({
    name,
    color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a color is #rrggbb').optional(),
    attributes: z.array(attributeSchema).max(100).optional(),
  })
  .strict();

export const statusSchema = z
  .object({
    name: z.string().trim().regex(/^[a-z][a-z0-9_]{0,49}$/, 'status names are lower_snake_case'),
    countsAsDone: z.boolean().optional().describe('Whether an item with this status counts as done (default true)'),
  })
  .strict();

export const ratingCategorySchema = z
  .object({ name, min: z.number().finite(), max: z.number().finite(), weight: z.number().finite().nonnegative().default(1) })
  .strict();

const tool = z.enum(tools);
const message = z.string().max(1000).optional().describe('Shown to the annotator when the rule is broken');

export const validationRuleSchema = z.discriminatedUnion('rule', [
  z.object({ rule: z.literal('required_tool'), tool, min: z.number().int().nonnegative().optional(), max: z.number().int().nonnegative().optional(), message }).strict(),
  z.object({ rule: z.literal('required_attribute'), label: name, attribute: name, message }).strict(),
  z.object({ rule: z.literal('allowed_labels'), tool, labels: z.array(name).min(1).max(1000), message }).strict(),
  z.object({ rule: z.literal('no_overlapping_spans'), message }).strict(),
]);

const recipeFields = {
  name,
  labels: z.array(labelSchema).max(1000),
  tools: z.array(tool).min(1).max(tools.length),
  statuses: z.array(statusSchema).max(50).optional(),
  ratingCategories: z.array(ratingCategorySchema).max(100).optional(),
  // Shown as a link in the web app: only http(s), never javascript: or data: URLs.
  instructionsUrl: z.string().url().max(2000).refine((u) => /^https?:\/\//i.test(u), 'instructionsUrl must be an http or https URL').nullable().optional(),
  validation: z.array(validationRuleSchema).max(100).optional(),
  /** Done statuses accept an item without shapes (docs/workflow.md). */
  allowEmpty: z.boolean().optional(),
};

export const createRecipeBody = z.object(recipeFields).strict();

export const patchRecipeBody = z
  .object({
    name: recipeFields.name.optional(),
    labels: recipeFields.labels.optional(),
    tools: recipeFields.tools.optional(),
    statuses: recipeFields.statuses,
    ratingCategories: recipeFields.ratingCategories,
    instructionsUrl: recipeFields.instructionsUrl,
    validation: recipeFields.validation,
    allowEmpty: recipeFields.allowEmpty,
  })
  .strict();

export const recipeOut = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  labels: z.array(labelSchema),
  tools: z.array(tool),
  statuses: z.array(statusSchema),
  ratingCategories: z.array(z.object({ name: z.string(), min: z.number(), max: z.number(), weight: z.number() })),
  instructionsUrl: z.string().nullable(),
  validation: z.array(validationRuleSchema),
  allowEmpty: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export type CreateRecipeInput = z.infer<typeof createRecipeBody>;
export type PatchRecipeInput = z.infer<typeof patchRecipeBody>;
