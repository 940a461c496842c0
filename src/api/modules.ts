

import type { Ctx, DatasetUse, ItemStatusListener, PullGate } from '../context.ts';
import type { App } from './app.ts';
import { authRoutes } from '../auth/auth.routes.ts';
import { projectRoutes, projectsProjectOf } from '../projects/projects.routes.ts';
import { auditRoutes } from '../audit/audit.routes.ts';
import { datasetRoutes, datasetsProjectOf } from '../datasets/datasets.routes.ts';
import { recipeRoutes, recipesProjectOf } from '../recipes/recipes.routes.ts';
import { demoRoutes } from '../demo/demo.routes.ts';
import { taskRoutes, tasksProjectOf } from '../tasks/tasks.routes.ts';
import { assignmentRoutes } from '../assignments/assignments.routes.ts';
import { annotationRoutes } from '../annotations/annotations.routes.ts';
import { reviewRoutes, reviewsProjectOf } from '../reviews/reviews.routes.ts';
import { qualityRoutes } from '../quality/quality.routes.ts';
import { workloadRoutes, workloadsProjectOf } from '../workloads/workloads.routes.ts';
import { taskDatasetRoutes } from '../tasks/task-datasets.routes.ts';
import { annotationReviewRoutes } from '../annotations/annotation-review.routes.ts';
import { progressReportRoutes } from '../quality/progress-reports.routes.ts';
import { exportRoutes, exportsProjectOf } from '../exports/exports.routes.ts';
import { jobRoutes } from '../jobs/jobs.routes.ts';
import { isPausedFromPulling, scoreOnStatusChange } from '../quality/scoring.service.ts';
import { flowIntoQaTasks } from '../reviews/qa-tasks.service.ts';
import { cycleDoneListener } from '../workloads/work.service.ts';
import { datasetHasTaskHistory } from '../tasks/task-history.ts';
import { unresolvedLinkedTasks } from '../tasks/task-links.ts';
import { tracesRoutes } from '../traces/traces.routes.ts';
import { otlpRoutes } from '../traces/otlp.routes.ts';
import { readTracesSettings } from '../traces/traces.settings.ts';
import { evaluatorRoutes, evaluatorsProjectOf } from '../evaluators/evaluators.routes.ts';
import { webhookRoutes, webhooksProjectOf } from '../webhooks/webhooks.routes.ts';
import { notificationRoutes } from '../notifications/notifications.routes.ts';
import { annotatesGoldScoredItem } from '../task-units/gold-exposure.ts';
import { collectProjectOf } from '../projects/permissions.ts';

/** Each module's routes, mounted by `buildApp`. A new module adds its line here. */
export const moduleRoutes: Array<(app: App, ctx: Ctx) => Promise<void> | void> = [authRoutes, projectRoutes, auditRoutes, datasetRoutes, recipeRoutes, demoRoutes, taskRoutes, assignmentRoutes, annotationRoutes, reviewRoutes, qualityRoutes, workloadRoutes, tracesRoutes, (app, ctx) => otlpRoutes(readTracesSettings())(app, ctx), evaluatorRoutes, webhookRoutes, notificationRoutes, taskDatasetRoutes, annotationReviewRoutes, progressReportRoutes, exportRoutes, jobRoutes];

/** The ports lower modules call and higher ones answer (see `Ctx`). */
export const datasetUse: DatasetUse = { datasetHasTaskHistory, unresolvedLinkedTasks, annotatesGoldScoredItem };
export const pullGate: PullGate = { isPausedFromPulling };

/**
 * What runs in the transaction of every item status change (`Ctx.statusListeners`), in this
 * order: QA tasks take in done items, quality scores the unit, workload cycles move their done
 * counter. A new module that reacts to status changes adds its listener here.
 */
export const statusListeners: readonly ItemStatusListener[] = [flowIntoQaTasks, scoreOnStatusChange, cycleDoneListener];

/**
 * How every project-scoped path parameter leads to its project: each module's static map, for
 * the access check (`registerAccess`). A new module with such a parameter adds its map here.
 */
export const projectOf = collectProjectOf(
  projectsProjectOf,
  datasetsProjectOf,
  recipesProjectOf,
  tasksProjectOf,
  reviewsProjectOf,
  workloadsProjectOf,
  exportsProjectOf,
  evaluatorsProjectOf,
  webhooksProjectOf,
);
