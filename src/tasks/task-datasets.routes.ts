import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { addTaskDataset, listTaskDatasets, removeTaskDataset } from './task-datasets.service.ts';

const tags = ['tasks'];
const taskParams = z.object({ taskId: z.string() });

export const taskDatasetOut = z.object({
  datasetId: z.string(),
  name: z.string(),
  items: z.number().int().describe('Units of the task from this dataset'),
  annotated: z.number().int().describe('Units with a valid (not invalidated) annotation'),
  done: z.number().int(),
  percent: z.number().describe('done / items, in percent'),
});

/** Several datasets per task (docs/robotics.md). */
export async function taskDatasetRoutes(app: App, ctx: Ctx) {
  app.get('/api/v1/tasks/:taskId/datasets', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: { tags, summary: 'The task’s datasets with progress per dataset', params: taskParams, response: { 200: z.object({ data: z.array(taskDatasetOut) }) } },
  }, async (request) => listTaskDatasets(ctx, callerOf(request), request.params.taskId));

  app.post('/api/v1/tasks/:taskId/datasets', {
    config: { access: { project: 'taskId', minRole: 'manager' } },
    schema: {
      tags,
      summary: 'Add a dataset to a task: its items enter the task’s allocation',
      params: taskParams,
      body: z.object({ datasetId: z.uuid() }).strict(),
      response: { 200: z.object({ datasetId: z.string(), added: z.number().int() }) },
    },
  }, async (request) => addTaskDataset(ctx, callerOf(request), request.params.taskId, request.body.datasetId));

  app.delete('/api/v1/tasks/:taskId/datasets/:datasetId', {
    config: { access: { project: 'taskId', minRole: 'manager' } },
    schema: {
      tags,
      summary: 'Remove a dataset from a task (409 dataset_has_work when its items carry work); the dataset itself stays',
      params: taskParams.extend({ datasetId: z.string() }),
      response: { 200: z.object({ datasetId: z.string(), removed: z.number().int() }) },
    },
  }, async (request) => removeTaskDataset(ctx, callerOf(request), request.params.taskId, request.params.datasetId));
}
