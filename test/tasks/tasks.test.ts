import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { answer, createTask, emptyAnswersRecipe, world } from './helpers.ts';

let t: TestApp;
const clock = new ManualClock(new Date('2031-03-01T10:00:00Z'));
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t?.close());

const put = (taskId: string, itemId: string, status: string, token: string) => t.put(`/api/v1/tasks/${taskId}/items/${itemId}/status`, { status }, { token });

describe('POST /api/v1/projects/:projectId/tasks', () => {
  it('refuses annotators (403) and creates for managers with items split evenly', async () => {
    const w = await world(t, 6);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const refused = await t.post(`/api/v1/projects/${w.projectId}/tasks`, { name: 'x', type: 'labeling', datasetId: w.datasetId }, { token: a.token });
    expect(refused.status).toBe(403);
    const task = await createTask(t, w, { assigneeIds: [a.id, b.email], priority: 'high' });
    expect(task).toMatchObject({ status: 'open', workflowState: 'pending', locked: false, archived: false, priority: 'high' });
    expect(task.progress).toEqual({ total: 6, done: 0, percent: 0, etaSeconds: null });
    const assignments = (await t.get(`/api/v1/tasks/${task.id}/assignments`)).body.data;
    expect(assignments.map((x: any) => x.counts.items)).toEqual([3, 3]);
    const summary = (await t.get(`/api/v1/projects/${w.projectId}/summary`)).body;
    expect(summary).toMatchObject({ tasks: 1, assignments: 2 });
  });

  it('splits by workload percentages and takes items by ids or by filter', async () => {
    const w = await world(t, 10);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createTask(t, w, { assigneeIds: [a.id, b.id], allocation: { method: 'distribution', workload: { [a.id]: 80, [b.id]: 20 } } });
    const counts = (await t.get(`/api/v1/tasks/${task.id}/assignments`)).body.data.map((x: any) => x.counts.items);
    expect(counts).toEqual([8, 2]);
    const byIds = await createTask(t, w, { itemIds: w.itemIds.slice(0, 3) });
    expect(byIds.progress.total).toBe(3);
    const byFilter = await createTask(t, w, { filter: { field: 'externalId', op: 'in', value: ['e1', 'e2'] } });
    expect(byFilter.progress.total).toBe(2);
    const foreign = await t.post(`/api/v1/projects/${w.projectId}/tasks`, { name: 'x', type: 'labeling', datasetId: w.datasetId, itemIds: ['00000000-0000-4000-8000-000000000000'] }, { token: w.manager.token });
    expect(foreign.status).toBe(422);
  });

  it('lets each member of a group assignee work the group’s share', async () => {
    const w = await world(t, 2);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const group = (await t.post(`/api/v1/projects/${w.projectId}/groups`, { name: 'team', memberIds: [a.id, b.id] }, { token: w.owner.token })).body;
    const task = await createTask(t, w, { assigneeIds: [group.id] });
    await answer(t, task.id, w.itemIds[0]!, a.token);
    await answer(t, task.id, w.itemIds[1]!, b.token);
    expect((await put(task.id, w.itemIds[0]!, 'completed', a.token)).status).toBe(200);
    expect((await put(task.id, w.itemIds[1]!, 'completed', b.token)).status).toBe(200);
    const outsider = await t.member(w.projectId, 'annotator');
    expect((await put(task.id, w.itemIds[1]!, 'discarded', outsider.token)).status).toBe(403);
    const mine = await t.get('/api/v1/me/assignments', { token: a.token });
    expect(mine.body.data.map((x: any) => x.taskId)).toContain(task.id);
  });
});

describe('item statuses', () => {
  it('accepts the type’s defaults and the recipe’s statuses, refuses others with 422', async () => {
    const w = await world(t, 3);
    const a = await t.member(w.projectId, 'annotator');
    const recipe = await t.post(`/api/v1/projects/${w.projectId}/recipes`, { name: 'r', labels: [{ name: 'cat' }], tools: ['classification'], statuses: [{ name: 'skipped', countsAsDone: false }] }, { token: w.owner.token });
    const task = await createTask(t, w, { assigneeIds: [a.id], recipeId: recipe.body.id });
    const unknown = await put(task.id, w.itemIds[0]!, 'approved', a.token);
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe('validation_failed');
    expect((await put(task.id, w.itemIds[0]!, 'skipped', a.token)).status).toBe(200);
    expect((await put(task.id, w.itemIds[1]!, 'discarded', a.token)).status).toBe(200);
    await answer(t, task.id, w.itemIds[2]!, a.token);
    expect((await put(task.id, w.itemIds[2]!, 'completed', a.token)).status).toBe(200);
    const got = (await t.get(`/api/v1/tasks/${task.id}`)).body;
    // skipped does not count as done; the task is complete because every item has a status.
    expect(got.progress).toMatchObject({ total: 3, done: 2 });
    expect(got.status).toBe('completed');
    expect((await t.get(`/api/v1/tasks/${task.id}/items`, { query: { status: 'done' } })).body.data).toHaveLength(2);
    expect((await t.get(`/api/v1/tasks/${task.id}/items`, { query: { status: 'skipped' } })).body.data).toHaveLength(1);
    const removed = await t.delete(`/api/v1/tasks/${task.id}/items/${w.itemIds[2]}/status`, { token: a.token });
    expect(removed.body).toMatchObject({ status: null, finishedAt: null });
    const after = (await t.get(`/api/v1/tasks/${task.id}`)).body;
    expect(after).toMatchObject({ status: 'in_progress', progress: { done: 1 } });
    expect((await t.get(`/api/v1/tasks/${task.id}/items`, { query: { status: 'pending' } })).body.data).toHaveLength(1);
    const asg = (await t.get(`/api/v1/tasks/${task.id}/assignments`)).body.data[0];
    expect(asg).toMatchObject({ status: 'in_progress', counts: { items: 3, withStatus: 2, done: 1 } });
  });

  it('runs the recipe’s validation rules when a status is set (422 naming the rule)', async () => {
    const w = await world(t, 1);
    const a = await t.member(w.projectId, 'annotator');
    const recipe = await t.post(`/api/v1/projects/${w.projectId}/recipes`, { name: 'r', labels: [{ name: 'cat' }], tools: ['classification'], allowEmpty: true, validation: [{ rule: 'required_tool', tool: 'classification', min: 1 }] }, { token: w.owner.token });
    const task = await createTask(t, w, { assigneeIds: [a.id], recipeId: recipe.body.id });
    const refused = await put(task.id, w.itemIds[0]!, 'completed', a.token);
    expect(refused.status).toBe(422);
    expect(refused.body.rule ?? refused.body.details?.rule ?? JSON.stringify(refused.body)).toContain('required_tool');
    await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/annotations`, { shapes: [{ tool: 'classification', label: 'cat' }] }, { token: a.token });
    expect((await put(task.id, w.itemIds[0]!, 'completed', a.token)).status).toBe(200);
  });

  it('refuses a done status on an item with no shapes (422 empty_annotation) and changes nothing, unless discarded or the recipe allows empty answers', async () => {
    const w = await world(t, 3);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id] });
    const refused = await put(task.id, w.itemIds[0]!, 'completed', a.token);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('empty_annotation');
    expect(refused.headers['content-type']).toContain('application/problem+json');
    // Nothing moved: no status, no counter, no audit event.
    expect((await t.get(`/api/v1/tasks/${task.id}/items`, { query: { status: 'done' } })).body.data).toHaveLength(0);
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body.progress).toMatchObject({ done: 0 });
    const audit = (await t.get('/api/v1/audit', { token: w.owner.token, query: { projectId: w.projectId } })).body.data;
    expect(audit.filter((e: any) => e.action === 'task_item.status_set')).toEqual([]);
    // An annotation whose shapes were all removed is still empty.
    await answer(t, task.id, w.itemIds[0]!, a.token);
    await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/annotations`, { shapes: [] }, { token: a.token });
    expect((await put(task.id, w.itemIds[0]!, 'completed', a.token)).body.code).toBe('empty_annotation');
    // Discarding needs no answer; with one shape the item completes.
    expect((await put(task.id, w.itemIds[1]!, 'discarded', a.token)).status).toBe(200);
    await answer(t, task.id, w.itemIds[0]!, a.token);
    expect((await put(task.id, w.itemIds[0]!, 'completed', a.token)).status).toBe(200);
    // A manager is refused the same.
    expect((await put(task.id, w.itemIds[2]!, 'completed', w.manager.token)).body.code).toBe('empty_annotation');

    // Where "nothing to label" is an answer, the recipe says so.
    const allowing = await createTask(t, w, { assigneeIds: [a.id], recipeId: await emptyAnswersRecipe(t, w) });
    expect((await put(allowing.id, w.itemIds[2]!, 'completed', a.token)).status).toBe(200);
    // Consensus tasks too: each copy is an annotator's answer.
    const b = await t.member(w.projectId, 'annotator');
    const consensus = await createTask(t, w, { type: 'consensus', assigneeIds: [a.id, b.id], consensus: { annotatorsPerItem: 2 } });
    expect((await put(consensus.id, w.itemIds[0]!, 'completed', a.token)).body.code).toBe('empty_annotation');
  });

  it('lets only the item’s assignee or a manager set a status', async () => {
    const w = await world(t, 2);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createTask(t, w, { assigneeIds: [a.id, b.id] });
    const items = (await t.get(`/api/v1/tasks/${task.id}/items`, { query: { assigneeId: b.id } })).body.data;
    expect(items).toHaveLength(1);
    await answer(t, task.id, items[0].itemId, b.token);
    expect((await put(task.id, items[0].itemId, 'completed', a.token)).status).toBe(403);
    expect((await put(task.id, items[0].itemId, 'completed', w.manager.token)).status).toBe(200);
  });
});

describe('locking and due dates', () => {
  it('refuses every write on a locked task with 409 task_locked, and unlocks', async () => {
    const w = await world(t, 1);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id] });
    expect((await t.post(`/api/v1/tasks/${task.id}/lock`, undefined, { token: a.token })).status).toBe(403);
    expect((await t.post(`/api/v1/tasks/${task.id}/lock`, undefined, { token: w.manager.token })).body.locked).toBe(true);
    expect((await put(task.id, w.itemIds[0]!, 'completed', a.token)).body.code).toBe('task_locked');
    expect((await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/annotations`, { shapes: [] }, { token: a.token })).body.code).toBe('task_locked');
    expect((await t.post(`/api/v1/tasks/${task.id}/transitions`, { to: 'in_progress' }, { token: a.token })).body.code).toBe('task_locked');
    await t.post(`/api/v1/tasks/${task.id}/unlock`, undefined, { token: w.manager.token });
    await answer(t, task.id, w.itemIds[0]!, a.token);
    expect((await put(task.id, w.itemIds[0]!, 'completed', a.token)).status).toBe(200);
  });

  it('locks itself the moment the due date passes when lockAfterDueDate is set', async () => {
    const w = await world(t, 1);
    const a = await t.member(w.projectId, 'annotator');
    const due = new Date(clock.now().getTime() + 60_000);
    const task = await createTask(t, w, { assigneeIds: [a.id], dueDate: due.toISOString(), lockAfterDueDate: true });
    expect(task.locked).toBe(false);
    clock.advance(61_000);
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body.locked).toBe(true);
    const refused = await put(task.id, w.itemIds[0]!, 'completed', a.token);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('task_locked');
    // Moving the due date is how a manager lifts it.
    await t.patch(`/api/v1/tasks/${task.id}`, { dueDate: new Date(clock.now().getTime() + 3_600_000).toISOString() }, { token: w.manager.token });
    await answer(t, task.id, w.itemIds[0]!, a.token);
    expect((await put(task.id, w.itemIds[0]!, 'completed', a.token)).status).toBe(200);
  });
});

describe('DELETE /api/v1/tasks/:taskId', () => {
  it('removes a task without history (204) and archives one with history (200)', async () => {
    const w = await world(t, 2);
    const a = await t.member(w.projectId, 'annotator');
    const empty = await createTask(t, w, { assigneeIds: [a.id] });
    expect((await t.delete(`/api/v1/tasks/${empty.id}`, { token: w.manager.token })).status).toBe(204);
    expect((await t.get(`/api/v1/tasks/${empty.id}`)).status).toBe(404);
    const used = await createTask(t, w, { assigneeIds: [a.id] });
    await answer(t, used.id, w.itemIds[0]!, a.token);
    expect((await put(used.id, w.itemIds[0]!, 'completed', a.token)).status).toBe(200);
    await t.delete(`/api/v1/tasks/${used.id}/items/${w.itemIds[0]}/status`, { token: a.token });
    const res = await t.delete(`/api/v1/tasks/${used.id}`, { token: w.manager.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ archived: true });
    const list = (await t.get(`/api/v1/projects/${w.projectId}/tasks`)).body.data.map((x: any) => x.id);
    expect(list).not.toContain(used.id);
    const archived = (await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { archived: true } })).body.data.map((x: any) => x.id);
    expect(archived).toEqual([used.id]);
    expect((await t.get(`/api/v1/datasets/${w.datasetId}/items`)).body.data).toHaveLength(2);
    expect((await t.get(`/api/v1/projects/${w.projectId}/summary`)).body).toMatchObject({ tasks: 0, assignments: 0 });
  });

  it('refuses a task with unresolved issues (409 unresolved_issues)', async () => {
    const w = await world(t, 1);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id] });
    const { moveIssueCounters } = await import('../../src/task-units/task-counters.ts');
    const { taskItems } = await import('../../src/task-units/task-items.table.ts');
    const { eq } = await import('drizzle-orm');
    const [unit] = await t.ctx.db.select({ id: taskItems.id }).from(taskItems).where(eq(taskItems.taskId, task.id));
    await t.ctx.db.transaction((tx) => moveIssueCounters(tx, unit!.id, { openIssues: 1 }));
    const res = await t.delete(`/api/v1/tasks/${task.id}`, { token: w.manager.token });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('unresolved_issues');
    expect((await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { openIssues: true } })).body.data.map((x: any) => x.id)).toEqual([task.id]);
    await answer(t, task.id, w.itemIds[0]!, a.token);
    expect((await put(task.id, w.itemIds[0]!, 'completed', a.token)).status).toBe(200);
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body.status).toBe('completed_with_issues');
    expect((await t.get(`/api/v1/projects/${w.projectId}/summary`)).body.openIssues).toBe(1);
  });
});
