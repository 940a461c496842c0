import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { answer, createTask, world } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const move = (taskId: string, to: string, token: string, comment?: string) => t.post(`/api/v1/tasks/${taskId}/transitions`, { to, ...(comment ? { comment } : {}) }, { token });

describe('POST /api/v1/tasks/:taskId/transitions', () => {
  it('walks the review loop with role guards, a required failure comment and a frozen task after review', async () => {
    const w = await world(t, 1);
    const a = await t.member(w.projectId, 'annotator');
    const r = await t.member(w.projectId, 'reviewer');
    const task = await createTask(t, w, { assigneeIds: [a.id], reviewerIds: [r.id] });
    expect((await move(task.id, 'pending_review', a.token)).body.code).toBe('invalid_transition');
    expect((await move(task.id, 'in_progress', a.token)).body.workflowState).toBe('in_progress');
    const early = await move(task.id, 'pending_review', a.token);
    expect(early.status).toBe(409);
    await answer(t, task.id, w.itemIds[0]!, a.token);
    expect((await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: a.token })).status).toBe(200);
    expect((await move(task.id, 'pending_review', a.token)).body.workflowState).toBe('pending_review');
    expect((await t.get(`/api/v1/projects/${w.projectId}/summary`)).body.pendingReviews).toBe(1);
    expect((await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { workflowState: 'pending_review' } })).body.data).toHaveLength(1);
    const denied = await move(task.id, 'review_passed', a.token);
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('forbidden');
    expect((await move(task.id, 'in_progress', r.token)).status).toBe(422);
    const failed = await move(task.id, 'in_progress', r.token, 'Label the tail too');
    expect(failed.body.reviewNote).toMatchObject({ body: 'Label the tail too', authorId: r.id });
    expect((await t.get(`/api/v1/tasks/${task.id}`, { token: a.token })).body.reviewNote.body).toBe('Label the tail too');
    expect((await t.get(`/api/v1/projects/${w.projectId}/summary`)).body.pendingReviews).toBe(0);
    await move(task.id, 'pending_review', a.token);
    expect((await move(task.id, 'review_passed', r.token)).body.workflowState).toBe('review_passed');
    const frozen = await t.delete(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { token: a.token });
    expect(frozen.status).toBe(403);
    expect((await move(task.id, 'data_submitted', r.token)).status).toBe(403);
    expect((await move(task.id, 'data_submitted', w.manager.token)).body.workflowState).toBe('data_submitted');
  });
});

describe('tickets', () => {
  it('links subjects, drafts linked items in the same request and blocks undrafting until resolved', async () => {
    const w = await world(t, 2);
    const dev = await t.member(w.projectId, 'annotator');
    const expert = await t.member(w.projectId, 'reviewer');
    const ticket = await t.post(
      `/api/v1/projects/${w.projectId}/tasks`,
      { name: 'Fix the agent', type: 'ticket', assigneeIds: [dev.id, expert.id], links: [{ kind: 'item', id: w.itemIds[0] }, { kind: 'finding', id: w.itemIds[1] }], draftLinkedItems: true },
      { token: w.manager.token },
    );
    expect(ticket.status).toBe(201);
    expect(ticket.body.workflowState).toBe('open');
    expect(ticket.body.links).toHaveLength(2);
    const item = (await t.get(`/api/v1/datasets/${w.datasetId}/items`)).body.data.find((i: any) => i.id === w.itemIds[0]);
    expect(item.draft).toBe(true);
    const blocked = await t.patch(`/api/v1/items/${w.itemIds[0]}`, { draft: false }, { token: w.owner.token });
    expect(blocked.status).toBe(409);
    expect(blocked.body.code).toBe('linked_tasks_unresolved');
    expect((await move(ticket.body.id, 'resolved', dev.token)).body.code).toBe('invalid_transition');
    await move(ticket.body.id, 'in_progress', dev.token);
    expect((await move(ticket.body.id, 'resolved', expert.token)).body.workflowState).toBe('resolved');
    expect((await t.patch(`/api/v1/items/${w.itemIds[0]}`, { draft: false }, { token: w.owner.token })).status).toBe(200);
    expect((await move(ticket.body.id, 'open', dev.token)).body.workflowState).toBe('open');
  });
});
