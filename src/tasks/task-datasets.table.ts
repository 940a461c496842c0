import { index, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';
import { datasets } from '../datasets/datasets.table.ts';
import { tasks } from '../task-units/tasks.table.ts';

/**
 * The datasets a task draws its items from (docs/robotics.md). `tasks.dataset_id` stays the
 * first one, for code that needs one dataset; this table lists all of them. Deleting a task
 * removes its rows here and nothing else; a dataset cannot be deleted while a task with
 * history uses it (`dataset_in_use`, `task-history.ts`), so the cascade on `dataset_id` only
 * ever removes the association of a task that never had work.
 */
export const taskDatasets = pgTable(
  'task_datasets',
  {
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    datasetId: uuid('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id').notNull(),
    addedAt: timestamp('added_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.datasetId] }), index('task_datasets_dataset_idx').on(t.datasetId, t.taskId)],
);
