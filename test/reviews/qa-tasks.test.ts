import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { annotateAndSet, setupTask, taskOf } from './review-helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const cat = [{ tool: 'classification', label: 'cat' }];
const itemIdsOf = async (taskId: string) => (await t.get(`/api/v1/tasks/${taskId}/items`, { query: { limit: 500 } })).body.data.map((u: any) => u.itemId).sort();

describe('POST /api/v1/tasks/:taskId/qa-tasks', () => {
  it('makes a review task over the items already done, then takes in each item as it is done, in the same change', async () => {
    const s = await setupTask(t, { count: 4 });
    const annotator = s.annotators[0]!;
    await annotateAndSet(t, s.taskId, s.itemIds[0]!, cat, annotator);
    await annotateAndSet(t, s.taskId, s.itemIds[1]!, cat, annotator);
    const reviewer = await t.member(s.projectId, 'reviewer');
    const res = await t.post(`/api/v1/tasks/${s.taskId}/qa-tasks`, { reviewerIds: [reviewer.id] }, { token: s.owner.token });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: 'review', sourceTaskId: s.taskId, sampleRate: 1, counts: { items: 2 } });
    const qa = res.body.id;
    expect(await itemIdsOf(qa)).toEqual([s.itemIds[0], s.itemIds[1]].sort());

    await annotateAndSet(t, s.taskId, s.itemIds[2]!, cat, annotator);
    expect(await itemIdsOf(qa)).toEqual([s.itemIds[0], s.itemIds[1], s.itemIds[2]].sort());
    expect((await taskOf(t, qa)).counts.items).toBe(3);
    const assignments = (await t.get(`/api/v1/tasks/${qa}/assignments`)).body.data;
    expect(assignments.map((a: any) => [a.assigneeId, a.counts.items])).toEqual([[reviewer.id, 3]]);

    // An item that is no longer done leaves the QA task while nobody has reviewed it.
    expect((await t.delete(`/api/v1/tasks/${s.taskId}/items/${s.itemIds[2]}/status`, { token: annotator.token })).status).toBe(200);
    expect(await itemIdsOf(qa)).toEqual([s.itemIds[0], s.itemIds[1]].sort());
    expect((await taskOf(t, qa)).counts.items).toBe(2);
  });

  it('shows reviewers each item with the source task’s answers, and takes approved, discarded and custom statuses', async () => {
    const s = await setupTask(t, { count: 2 });
    const annotator = s.annotators[0]!;
    const answer = await annotateAndSet(t, s.taskId, s.itemIds[0]!, cat, annotator);
    await annotateAndSet(t, s.taskId, s.itemIds[1]!, cat, annotator);
    const reviewer = await t.member(s.projectId, 'annotator');
    const recipe = (await t.post(`/api/v1/projects/${s.projectId}/recipes`, { name: 'qa', labels: [{ name: 'cat' }], tools: ['classification'], statuses: [{ name: 'needs_expert' }] }, { token: s.owner.token })).body.id;
    const qa = (await t.post(`/api/v1/tasks/${s.taskId}/qa-tasks`, { reviewerIds: [reviewer.id], recipeId: recipe, name: 'QA round 1' }, { token: s.owner.token })).body;
    expect(qa.name).toBe('QA round 1');
    const view = await t.get(`/api/v1/tasks/${qa.id}/items/${s.itemIds[0]}/review`, { token: reviewer.token });
    expect(view.status).toBe(200);
    expect(view.body.annotations).toEqual([expect.objectContaining({ id: answer.id, authorId: annotator.id, status: 'completed', shapes: cat })]);
    expect((await t.put(`/api/v1/tasks/${qa.id}/items/${s.itemIds[0]}/status`, { status: 'approved' }, { token: reviewer.token })).status).toBe(200);
    expect((await t.put(`/api/v1/tasks/${qa.id}/items/${s.itemIds[1]}/status`, { status: 'needs_expert' }, { token: reviewer.token })).status).toBe(200);
    expect((await t.put(`/api/v1/tasks/${qa.id}/items/${s.itemIds[1]}/status`, { status: 'completed' }, { token: reviewer.token })).status).toBe(422);
    expect((await taskOf(t, qa.id)).status).toBe('completed');
  });

  it('counts an issue raised from a QA task on the QA task too, which then cannot be deleted', async () => {
    const s = await setupTask(t, { count: 1 });
    const annotator = s.annotators[0]!;
    const answer = await annotateAndSet(t, s.taskId, s.itemIds[0]!, cat, annotator);
    // An annotator-role member assigned to the QA task may open issues on the source's answers.
    const reviewer = await t.member(s.projectId, 'annotator');
    const qa = (await t.post(`/api/v1/tasks/${s.taskId}/qa-tasks`, { reviewerIds: [reviewer.id] }, { token: s.owner.token })).body.id;
    await t.put(`/api/v1/tasks/${qa}/items/${s.itemIds[0]}/status`, { status: 'discarded' }, { token: reviewer.token });
    const issue = await t.post(`/api/v1/annotations/${answer.id}/issues`, { comment: 'wrong animal' }, { token: reviewer.token });
    expect(issue.status).toBe(201);
    expect(issue.body.reviewTaskId).toBe(qa);
    expect((await taskOf(t, qa))).toMatchObject({ status: 'completed_with_issues', counts: { openIssues: 1 } });
    expect((await taskOf(t, s.taskId)).counts.openIssues).toBe(1);
    expect((await t.get(`/api/v1/tasks/${qa}/issues`)).body.data.map((i: any) => i.id)).toEqual([issue.body.id]);
    const refused = await t.delete(`/api/v1/tasks/${qa}`, { token: s.owner.token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('unresolved_issues');
    await t.patch(`/api/v1/issues/${issue.body.id}`, { status: 'resolved' }, { token: reviewer.token });
    expect((await taskOf(t, qa))).toMatchObject({ status: 'completed', counts: { openIssues: 0, forReview: 0 } });
    expect((await t.delete(`/api/v1/tasks/${qa}`, { token: s.owner.token })).body).toEqual({ archived: true });
  });

  it('samples a deterministic share of the items when sampleRate is below 1', async () => {
    const s = await setupTask(t, { count: 60 });
    const annotator = s.annotators[0]!;
    const reviewer = await t.member(s.projectId, 'reviewer');
    const qa = (await t.post(`/api/v1/tasks/${s.taskId}/qa-tasks`, { reviewerIds: [reviewer.id], sampleRate: 0.5 }, { token: s.owner.token })).body;
    expect(qa).toMatchObject({ sampleRate: 0.5, counts: { items: 0 } });
    for (const id of s.itemIds) await annotateAndSet(t, s.taskId, id, cat, annotator);
    const sampled = await itemIdsOf(qa.id);
    expect(sampled.length).toBeGreaterThan(15);
    expect(sampled.length).toBeLessThan(45);
    // Undoing and redoing items gives each the same decision.
    const inSample = sampled[0];
    const outOfSample = s.itemIds.find((id) => !sampled.includes(id))!;
    for (const id of [inSample, outOfSample]) {
      await t.delete(`/api/v1/tasks/${s.taskId}/items/${id}/status`, { token: annotator.token });
      await t.put(`/api/v1/tasks/${s.taskId}/items/${id}/status`, { status: 'completed' }, { token: annotator.token });
    }
    expect(await itemIdsOf(qa.id)).toEqual(sampled);
    // A second QA task over the same, now finished, source samples at creation the same way it would on the flow.
    const again = (await t.post(`/api/v1/tasks/${s.taskId}/qa-tasks`, { reviewerIds: [reviewer.id], sampleRate: 1 }, { token: s.owner.token })).body;
    expect(again.counts.items).toBe(60);
  });

  it('refuses QA tasks over review tasks (422) and from non-managers (403)', async () => {
    const s = await setupTask(t, { count: 1 });
    const reviewer = await t.member(s.projectId, 'reviewer');
    const qa = (await t.post(`/api/v1/tasks/${s.taskId}/qa-tasks`, { reviewerIds: [reviewer.id] }, { token: s.owner.token })).body.id;
    expect((await t.post(`/api/v1/tasks/${qa}/qa-tasks`, { reviewerIds: [reviewer.id] }, { token: s.owner.token })).status).toBe(422);
    expect((await t.post(`/api/v1/tasks/${s.taskId}/qa-tasks`, { reviewerIds: [reviewer.id] }, { token: reviewer.token })).status).toBe(403);
    expect((await t.post(`/api/v1/tasks/${s.taskId}/qa-tasks`, { reviewerIds: ['nobody@example.com'] }, { token: s.owner.token })).status).toBe(422);
  });
});
