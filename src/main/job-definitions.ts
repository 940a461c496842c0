import type { JobDefinition } from '../jobs/jobs.ts';
import { purgeExpiredJob } from '../auth/maintenance.job.ts';
import { returnExpiredLeasesJob } from '../assignments/leases.job.ts';
import { importItemsJob } from '../datasets/import-jobs.ts';
import { tickJob } from '../workloads/workloads.jobs.ts';
import { exportJob, exportRetentionJob } from '../exports/export.job.ts';
import { spanRetentionJob } from '../traces/retention.job.ts';
import { evalContinuousJob, evalRunJob } from '../evaluators/eval-jobs.ts';
import { deliveryRetentionJob, outboxRetentionJob, outboxTickJob } from '../webhooks/outbox.job.ts';
import { vacuumJob } from '../jobs/vacuum.job.ts';
import { foldCounterShardsJob } from '../task-units/counter-fold.job.ts';

/** Every job the workers run. A module with background work adds its definitions here. */
export const jobDefinitions: JobDefinition<any>[] = [purgeExpiredJob, returnExpiredLeasesJob, tickJob, spanRetentionJob, evalRunJob, evalContinuousJob, outboxTickJob, outboxRetentionJob, deliveryRetentionJob, exportJob, exportRetentionJob, importItemsJob, vacuumJob, foldCounterShardsJob];
