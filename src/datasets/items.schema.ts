import { z } from 'zod';
import { itemKinds, type ItemKind } from './datasets.table.ts';
import { shapeSchema } from '../recipes/shape-validation.ts';

/**
 * Payload schemas, one per item kind. Media are referenced by URL and stored as given: the
 * server never fetches them (no SSRF surface, no bandwidth spent on import).
 */
const turn = z.object({ role: z.string().min(1).max(100), content: z.string().max(1_000_000) }).passthrough();
const check = z.object({ check: z.string().min(1).max(500), passed: z.boolean(), reason: z.string().max(100_000).optional() }).passthrough();

/** CSV cells arrive as strings: numeric fields accept a numeric string too. */
const looseNumber = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v), z.number().finite().nonnegative());

const conversationPayload = z
  .object({
    turns: z.array(turn).max(10_000),
    expectedOutput: z.unknown().optional(),
    checks: z.array(check).max(1000).optional(),
  })
  .passthrough();

export const payloadSchemas: Record<ItemKind, z.ZodType<Record<string, unknown>>> = {
  text: z.object({ text: z.string().max(10_000_000) }).passthrough(),
  image: z
    .object({
      url: z.string().url().max(8192).refine((u) => /^(https?|s3|gs|data):/i.test(u), 'URLs are http(s), s3, gs or data URLs'),
      width: looseNumber.optional(),
      height: looseNumber.optional(),
    })
    .passthrough(),
  conversation: conversationPayload,
  test_case: conversationPayload,
  trace: z.object({ traceId: z.string().min(1).max(200), spanId: z.string().min(1).max(200).optional() }).passthrough(),
  // A robot episode: frames of state and action (docs/robotics.md). The video is only linked, http(s) only.
  episode: z
    .object({
      frames: z
        .array(
          z
            .object({
              timestamp: z.number().finite(),
              observation: z.object({ state: z.array(z.number().finite()).max(1000) }).passthrough(),
              action: z.array(z.number().finite()).max(1000),
            })
            .passthrough(),
        )
        .min(1)
        .max(100_000),
      fps: z.number().positive().max(10_000).optional(),
      videoUrl: z.string().url().max(8192).refine((u) => /^https?:/i.test(u), 'videoUrl is an http(s) URL').optional(),
    })
    .passthrough(),
  // Any JSON object: rows, external scan findings (`{ finding: {...} }`), anything else.
  record: z.record(z.string(), z.unknown()),
};

export const itemKind = z.enum(itemKinds);
const metadata = z.record(z.string(), z.unknown());

/**
 * One line of an import. `kind` falls back to `?kind=` and then to `record`; `payload` is checked
 * against its kind's schema by `toImportRow`. `annotations` (pre-annotations) and `gold` are shape
 * lists (syntax only here: a dataset has no recipe; tasks check them against theirs).
 */
export const importLine = z
  .object({
    externalId: z.union([z.string().min(1).max(500), z.number().int().transform(String)]).optional().nullable(),
    kind: itemKind.optional(),
    payload: z.record(z.string(), z.unknown()),
    metadata: metadata.optional(),
    draft: z.boolean().optional(),
    annotations: z.array(shapeSchema).max(10_000).optional().nullable(),
    gold: z.array(shapeSchema).max(10_000).optional().nullable(),
  })
  .strict();

export const itemSummaryOut = z.object({
  id: z.string(),
  datasetId: z.string(),
  externalId: z.string().nullable(),
  kind: itemKind,
  metadata: z.record(z.string(), z.unknown()),
  draft: z.boolean(),
  seq: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
  payload: z.record(z.string(), z.unknown()).optional().describe('Only with `include=payload`'),
});

export const itemOut = itemSummaryOut.extend({
  projectId: z.string(),
  payload: z.record(z.string(), z.unknown()),
  annotations: z.array(z.unknown()).nullable().describe('Pre-annotations from the import'),
  gold: z.array(z.unknown()).nullable(),
});

export const listItemsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2000).optional(),
  filter: z.string().optional().describe('URL-encoded JSON filter tree (see the item filter language), at most 16,000 characters: a longer one answers 400 invalid_filter'),
  include: z.enum(['payload']).optional().describe('`payload` returns each item’s payload too (heavier)'),
});

export const patchItemBody = z
  .object({
    draft: z.boolean().optional(),
    metadata: z.record(z.string(), z.unknown()).optional().describe('Merged into the item’s metadata; a key set to null is removed'),
  })
  .refine((b) => b.draft !== undefined || b.metadata !== undefined, 'Give draft or metadata');

export const putGoldBody = z.object({
  shapes: z.array(z.unknown()).max(10_000),
  recipeId: z.string().optional().describe('Check the shapes against this recipe (labels, tools, attributes)'),
});

export const importQuery = z.object({
  mode: z.enum(['atomic', 'partial']).default('atomic'),
  kind: itemKind.optional().describe('Kind for lines that do not give one (default `record`, or `text` for a CSV with a `text` column)'),
});

export const importOut = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  failed: z.array(z.object({ line: z.number().int(), error: z.string() })),
  failedCount: z.number().int().describe('Bad lines found; `failed` lists the first 1000 (an atomic import stops reading at the 1000th)'),
});
