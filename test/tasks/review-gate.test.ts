import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, world } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const move = (taskId: string, to: string, token: string) => t.post(`/api/v1/tasks/${taskId}/transitions`, { to }, { token });

describe('passing a review over issues (docs/workflow.md)', () => {
  it('refuses review_passed with 409 open_issues while an issue is open or for review, and passes once it is resolved', async () => {
    const w = await world(t, 1);
    const a = await t.member(w.projectId, 'annotator');
    const r = await t.member(w.projectId, 'reviewer');
    const task = await createTask(t, w, { assigneeIds: [a.id], reviewerIds: [r.id] });
    await move(task.id, 'in_progress', a.token);
    const saved = await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/annotations`, { shapes: [{ tool: 'classification', label: 'cat' }] }, { token: a.token });
    expect(saved.status).toBe(200);
    expect((await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: a.token })).status).toBe(200);
    expect((await move(task.id, 'pending_review', a.token)).body.workflowState).toBe('pending_review');
    const issue = await t.post(`/api/v1/annotations/${saved.body.id}/issues`, { comment: 'the tail is missing' }, { token: r.token });
    expect(issue.status).toBe(201);

    const refused = await move(task.id, 'review_passed', r.token);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('open_issues');
    expect((await t.get(`/api/v1/tasks/${task.id}`, { token: r.token })).body.workflowState).toBe('pending_review');

    expect((await t.patch(`/api/v1/issues/${issue.body.id}`, { status: 'for_review' }, { token: w.manager.token })).status).toBe(200);
    expect((await move(task.id, 'review_passed', r.token)).body.code).toBe('open_issues');

    expect((await t.patch(`/api/v1/issues/${issue.body.id}`, { status: 'resolved' }, { token: r.token })).status).toBe(200);
    const passed = await move(task.id, 'review_passed', r.token);
    expect(passed.status).toBe(200);
    expect(passed.body.workflowState).toBe('review_passed');
  });
});
