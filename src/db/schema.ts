/**
 * Every module's tables, gathered for Drizzle's typed queries and for drizzle-kit, which
 * generates the SQL migrations in ./migrations from this file (`npm run db:generate`).
 */
export * from '../auth/auth.table.ts';
export * from '../projects/projects.table.ts';
export * from '../audit/audit.table.ts';
export * from './idempotency.table.ts';
export * from '../datasets/datasets.table.ts';
export * from '../recipes/recipes.table.ts';
export * from '../task-units/tasks.table.ts';
export * from '../task-units/task-items.table.ts';
export * from '../task-units/assignments.table.ts';
export * from '../tasks/task-datasets.table.ts';
export * from '../annotations/annotations.table.ts';
export * from '../reviews/reviews.table.ts';
export * from '../quality/scores.table.ts';
export * from '../exports/exports.table.ts';
export * from '../jobs/jobs-admin.table.ts';
export * from '../datasets/imports.table.ts';
export * from '../outbox/outbox.table.ts';
export * from '../workloads/workloads.table.ts';
export { ingestTokens, traces } from '../traces/traces.table.ts';
export * from '../evaluators/evaluators.table.ts';
export * from '../outbox/outbox-positions.table.ts';
export * from '../outbox/outbox-interests.table.ts';
export * from '../webhooks/webhooks.table.ts';
export * from '../notifications/notifications.table.ts';
