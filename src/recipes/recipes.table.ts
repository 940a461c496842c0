import { boolean, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { projects } from '../projects/projects.table.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const tools = ['classification', 'multi_classification', 'bbox', 'polygon', 'text_span', 'rating', 'free_text', 'segment'] as const;
export type Tool = (typeof tools)[number];

export interface RecipeLabel {
  name: string;
  color?: string;
  attributes?: Array<{
    name: string;
    type: 'select' | 'multi_select' | 'text' | 'number' | 'boolean';
    options?: string[];
    required?: boolean;
  }>;
}

export interface RecipeStatus {
  name: string;
  /** Whether an item with this status counts as done (default true). */
  countsAsDone?: boolean;
}

export interface RatingCategory {
  name: string;
  min: number;
  max: number;
  weight: number;
}

/** Declarative validation rules, run when an item's status is set. No user code is ever run. */
export type ValidationRule =
  | { rule: 'required_tool'; tool: Tool; min?: number; max?: number; message?: string }
  | { rule: 'required_attribute'; label: string; attribute: string; message?: string }
  | { rule: 'allowed_labels'; tool: Tool; labels: string[]; message?: string }
  | { rule: 'no_overlapping_spans'; message?: string };

export const recipes = pgTable(
  'recipes',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    labels: jsonb('labels').$type<RecipeLabel[]>().notNull().default([]),
    tools: jsonb('tools').$type<Tool[]>().notNull().default([]),
    /** Custom item statuses, offered beside each task type's defaults. */
    statuses: jsonb('statuses').$type<RecipeStatus[]>().notNull().default([]),
    ratingCategories: jsonb('rating_categories').$type<RatingCategory[]>().notNull().default([]),
    validation: jsonb('validation').$type<ValidationRule[]>().notNull().default([]),
    instructionsUrl: text('instructions_url'),
    /** A done status on an item without shapes is a real answer here (docs/workflow.md); refused otherwise. */
    allowEmpty: boolean('allow_empty').notNull().default(false),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('recipes_project_idx').on(t.projectId, t.id)],
);
