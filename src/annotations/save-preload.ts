import { sql, type SQL } from 'drizzle-orm';
import type { Caller } from '../context.ts';
import { fromJsonRow, jsonRowColumns } from '../db/json-row.ts';
import { itemContentJson } from '../datasets/item-contents.ts';
import { projectSettingsJson, type ProjectSettings } from '../projects/projects.service.ts';
import { recipeFromJson, recipeJson, type Recipe } from '../recipes/recipes.service.ts';
import { taskItemActorFromPreload, taskItemActorJson, type TaskActor, type TaskRow } from '../task-units/task-access.ts';
import { projectIdOfTaskSql, recipeIdOfTaskSql, unitIdsOfItem } from '../task-units/unit-reads.ts';
import type { UnitRow } from '../task-units/task-units.ts';
import { annotations } from './annotations.table.ts';

export type AnnotationRow = typeof annotations.$inferSelect;

/**
 * Everything an annotation save reads before it writes, as ONE JSON value for the authenticating
 * statement of `PUT /tasks/{taskId}/items/{itemId}/annotations` (`preload: 'annotationSave'`,
 * src/api/access.ts): the task, the caller's standing and the item's units with their row
 * versions (`taskItemActorJson`), the item's content, the task's recipe, the project's settings
 * and the units' current annotations. The item's content is read only when it is in the task.
 */
export const annotationSaveJson = (taskId: SQL, userId: SQL, itemId: SQL) => sql`json_build_object(
    'unit', ${taskItemActorJson(taskId, userId, itemId)},
    'item', (select ${itemContentJson(itemId)} where exists ${unitIdsOfItem(taskId, itemId)}),
    'recipe', ${recipeJson(recipeIdOfTaskSql(taskId))},
    'settings', ${projectSettingsJson(projectIdOfTaskSql(taskId))},
    'annotations', coalesce((select json_agg(row_to_json(a)) from ${annotations} a where a.task_item_id in ${unitIdsOfItem(taskId, itemId)}), '[]'::json))`;

export interface SavePreload {
  reads: { task: TaskRow; actor: TaskActor; item: { kind: string; payload: unknown }; recipe: Recipe | null; settings: ProjectSettings };
  units: UnitRow[];
  versions: Map<string, string>;
  annotations: AnnotationRow[];
}

/**
 * An `annotationSaveJson` value as the save uses it; null when it is absent, names another task
 * or item, or the item is not in the task (the save then reads for itself, so its answers keep
 * their order). Answers 404/403 for the caller's standing as `findTaskAs` does.
 */
export function fromSavePreload(caller: Caller, taskId: string, itemId: string, preload: unknown): SavePreload | null {
  const p = preload as { unit: unknown; item: { kind: string; payload: unknown } | null; recipe: Record<string, unknown> | null; settings: ProjectSettings | null; annotations: Record<string, unknown>[] } | null;
  if (!p?.item) return null;
  const found = taskItemActorFromPreload(caller, taskId, itemId, 'annotator', p.unit);
  if (!found) return null;
  return {
    reads: { task: found.task, actor: found.actor, item: { kind: p.item.kind, payload: p.item.payload }, recipe: recipeFromJson(p.recipe), settings: p.settings ?? {} },
    units: found.units,
    versions: found.versions,
    annotations: p.annotations.map((a) => fromJsonRow<AnnotationRow>(jsonRowColumns(annotations), a)),
  };
}
