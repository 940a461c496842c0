import { z } from 'zod';

export const datasetOut = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  itemCount: z.number().int().describe('Maintained on every import and delete; never counted on read'),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const createDatasetBody = z.object({ name: z.string().trim().min(1).max(200) }).strict();
export const patchDatasetBody = z.object({ name: z.string().trim().min(1).max(200) }).strict();
