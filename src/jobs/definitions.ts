import type { JobDefinition } from './jobs.ts';
import { purgeExpiredJob } from './maintenance.job.ts';
import { returnExpiredLeasesJob } from '../assignments/leases.job.ts';
import { importItemsJob } from '../datasets/import-jobs.ts';

/** Every job the workers run. A module with background work adds its definitions here. */
export const jobDefinitions: JobDefinition<any>[] = [purgeExpiredJob, returnExpiredLeasesJob, importItemsJob];
