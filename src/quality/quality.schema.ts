import { z } from 'zod';
import { scoreFunctionOverridesSchema } from './score-functions.ts';

const n = z.number().nullable();

/** `{ bbox: { name: 'iou', params: { threshold: 0.5 } } }`; `fn` is accepted for `name`. */
const scoringIn = z.preprocess((raw) => {
  if (!raw || typeof raw !== 'object') return raw;
  return Object.fromEntries(
    Object.entries(raw as Record<string, unknown>).map(([tool, choice]) => {
      if (choice && typeof choice === 'object' && 'fn' in choice && !('name' in choice)) {
        const { fn, ...rest } = choice as Record<string, unknown>;
        return [tool, { name: fn, ...rest }];
      }
      return [tool, choice];
    }),
  );
}, scoreFunctionOverridesSchema);

export const putQualityBody = z
  .object({
    scoring: scoringIn.optional(),
    honeypot: z
      .object({
        minAccuracy: z.number().min(0).max(1).describe('Below this mean gold score an annotator is paused from pulling'),
        minAnswers: z.number().int().min(1).max(10_000).optional().describe('Gold answers needed before the threshold applies (default 1)'),
      })
      .strict()
      .nullable()
      .optional(),
  })
  .strict();

const scoringOut = z.record(z.string(), z.object({ name: z.string(), params: z.record(z.string(), z.unknown()).optional() }));
export const qualitySettingsOut = z.object({
  taskId: z.string(),
  scoring: scoringOut,
  honeypot: z.object({ minAccuracy: z.number(), minAnswers: z.number() }).nullable(),
});

export const scoresQuery = z.object({ category: z.string().max(200).optional().describe('Rating category for the interval alpha (default: mean over categories)') });

const confusion = z.object({
  labels: z.array(z.string()),
  cells: z.array(z.object({ row: z.string(), column: z.string(), count: z.number().int(), itemIds: z.array(z.string()) })),
});

export const scoresOut = z.object({
  taskId: z.string(),
  type: z.string(),
  perAnnotator: z.array(
    z.object({
      annotatorId: z.string(),
      name: z.string().nullable(),
      units: z.number().int(),
      agreement: n.describe('Mean score against the other annotators of the same items'),
      accuracy: n.describe('Mean score against gold answers'),
      meanIoU: n.describe('Mean IoU against gold for boxes and polygons'),
      byTool: z.record(z.string(), z.object({ fn: z.string(), mean: z.number() })),
    }),
  ),
  agreement: z
    .object({
      items: z.number().int(),
      raters: z.number().int(),
      percentAgreement: n,
      cohensKappa: n.describe('Two raters only'),
      fleissKappa: n,
      fleissItems: z.number(),
      krippendorffAlpha: z.object({ nominal: n, interval: n }),
      meanPairwiseScore: n,
    })
    .nullable(),
  contributors: z
    .object({
      annotators: z.array(z.string()),
      pairs: z.array(z.object({ annotatorA: z.string(), annotatorB: z.string(), commonItems: z.number().int(), agreedItems: z.number().int(), agreement: z.number(), cohensKappa: n })),
      meanScores: z.array(z.object({ annotatorId: z.string(), referenceId: z.string(), mean: z.number(), items: z.number().int() })),
    })
    .nullable(),
  confusionMatrix: confusion.nullable(),
  goldConfusionMatrix: confusion.nullable(),
});

export const itemScoreOut = z.object({ itemId: z.string(), annotators: z.number().int(), meanScore: z.number(), minScore: z.number() });

export const analyticsQuery = z.object({
  windowHours: z.coerce.number().min(1).max(24 * 90).default(24),
  bucket: z.enum(['hour', 'day']).default('day'),
});

const metrics = {
  units: z.number().int(),
  withStatus: z.number().int(),
  done: z.number().int(),
  completeness: n,
  throughputPerHour: z.number(),
  medianSecondsPerItem: n,
  reviewed: z.number().int(),
  firstPassReviewRate: n,
  accuracy: n,
  agreement: n,
  scoredUnits: z.number().int(),
};

export const analyticsOut = z.object({
  taskId: z.string(),
  windowHours: z.number(),
  task: z.object(metrics),
  annotators: z.array(z.object({ annotatorId: z.string(), name: z.string().nullable(), ...metrics })),
  labels: z.array(z.object({ tool: z.string(), label: z.string(), units: z.number().int(), meanScore: z.number(), accuracy: n, agreement: n, histogram: z.array(z.number().int()) })),
  histograms: z.array(z.object({ tool: z.string(), against: z.enum(['gold', 'annotators']), buckets: z.array(z.number().int()).describe('Counts of scores in [0,0.1), [0.1,0.2), … [0.9,1]') })),
  progress: z.array(z.object({ at: z.date(), done: z.number().int(), cumulative: z.number().int() })),
});

export const pausesOut = z.object({
  data: z.array(z.object({ userId: z.string(), name: z.string().nullable(), accuracy: z.number(), answers: z.number().int(), pausedAt: z.date() })),
});
