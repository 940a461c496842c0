import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { annotateAndSet, setupTask, summaryOf, taskOf } from './review-helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const label = (name: string) => [{ tool: 'classification', label: name }];

/** A labeling task with one annotator who finished every item; returns the annotations. */
async function finishedTask(count = 2) {
  const setup = await setupTask(t, { count });
  const [annotator] = setup.annotators;
  const answers = [];
  for (const itemId of setup.itemIds) answers.push(await annotateAndSet(t, setup.taskId, itemId, label('cat'), annotator!));
  const reviewer = await t.member(setup.projectId, 'reviewer');
  return { ...setup, annotator: annotator!, reviewer, answers };
}

describe('POST /api/v1/annotations/:annotationId/issues', () => {
  it('opens an issue and counts it on the task item, assignment, task and project summary in the same change', async () => {
    const s = await finishedTask();
    const before = await summaryOf(t, s.projectId);
    expect((await taskOf(t, s.taskId)).status).toBe('completed');
    const res = await t.post(`/api/v1/annotations/${s.answers[0]!.id}/issues`, { comment: 'the box is too wide' }, { token: s.reviewer.token });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'open', comment: 'the box is too wide', assigneeId: s.annotator.id, openedBy: s.reviewer.id, taskId: s.taskId });
    const task = await taskOf(t, s.taskId);
    expect(task.status).toBe('completed_with_issues');
    expect(task.counts).toMatchObject({ openIssues: 1, forReview: 0 });
    const units = (await t.get(`/api/v1/tasks/${s.taskId}/items`)).body.data;
    expect(units.find((u: any) => u.itemId === s.itemIds[0]).openIssues).toBe(1);
    expect(units.find((u: any) => u.itemId === s.itemIds[1]).openIssues).toBe(0);
    const assignments = (await t.get(`/api/v1/tasks/${s.taskId}/assignments`)).body.data;
    expect(assignments.find((a: any) => a.assigneeId === s.annotator.id)).toMatchObject({ counts: { openIssues: 1 }, status: 'completed_with_issues' });
    expect((await summaryOf(t, s.projectId)).openIssues).toBe(before.openIssues + 1);
    const listed = await t.get(`/api/v1/projects/${s.projectId}/tasks`, { query: { openIssues: true } });
    expect(listed.body.data.map((x: any) => x.id)).toEqual([s.taskId]);
  });

  it('lets an annotator assigned as the task’s reviewer open issues, but not other annotators, viewers or outsiders', async () => {
    const s = await finishedTask(1);
    const assignedReviewer = await t.member(s.projectId, 'annotator');
    const other = await t.member(s.projectId, 'annotator');
    const viewer = await t.member(s.projectId, 'viewer');
    const outsider = await t.user();
    expect((await t.patch(`/api/v1/tasks/${s.taskId}`, { reviewerIds: [assignedReviewer.id] }, { token: s.owner.token })).status).toBe(200);
    const url = `/api/v1/annotations/${s.answers[0]!.id}/issues`;
    expect((await t.post(url, { comment: 'x' }, { token: other.token })).status).toBe(403);
    expect((await t.post(url, { comment: 'x' }, { token: viewer.token })).status).toBe(403);
    expect((await t.post(url, { comment: 'x' }, { token: outsider.token })).status).toBe(404);
    expect((await t.post(url, { comment: 'x' }, { token: assignedReviewer.token })).status).toBe(201);
    expect((await taskOf(t, s.taskId)).counts.openIssues).toBe(1);
  });

  it('refuses an empty comment with 400 and changes nothing', async () => {
    const s = await finishedTask(1);
    expect((await t.post(`/api/v1/annotations/${s.answers[0]!.id}/issues`, { comment: '  ' }, { token: s.reviewer.token })).status).toBe(400);
    expect((await taskOf(t, s.taskId)).counts.openIssues).toBe(0);
  });
});

describe('PATCH /api/v1/issues/:issueId', () => {
  it('moves open → for_review (author) → resolved (reviewer), keeping every counter in step', async () => {
    const s = await finishedTask(1);
    const base = (await summaryOf(t, s.projectId)).openIssues;
    const issue = (await t.post(`/api/v1/annotations/${s.answers[0]!.id}/issues`, { comment: 'wrong label' }, { token: s.reviewer.token })).body;
    const fixed = await t.patch(`/api/v1/issues/${issue.id}`, { status: 'for_review', comment: 'relabelled' }, { token: s.annotator.token });
    expect(fixed.status).toBe(200);
    expect(fixed.body.status).toBe('for_review');
    let task = await taskOf(t, s.taskId);
    expect(task.counts).toMatchObject({ openIssues: 0, forReview: 1 });
    expect(task.status).toBe('completed_with_issues');
    expect((await summaryOf(t, s.projectId)).openIssues).toBe(base);
    const forReview = await t.get(`/api/v1/projects/${s.projectId}/tasks`, { query: { forReview: true } });
    expect(forReview.body.data.map((x: any) => x.id)).toEqual([s.taskId]);
    expect((await t.get(`/api/v1/projects/${s.projectId}/tasks`, { query: { openIssues: true } })).body.data).toEqual([]);

    const resolved = await t.patch(`/api/v1/issues/${issue.id}`, { status: 'resolved' }, { token: s.reviewer.token });
    expect(resolved.status).toBe(200);
    expect(resolved.body.resolvedAt).not.toBeNull();
    task = await taskOf(t, s.taskId);
    expect(task.counts).toMatchObject({ openIssues: 0, forReview: 0 });
    expect(task.status).toBe('completed');
    const comments = await t.get('/api/v1/comments', { query: { subjectKind: 'issue', subjectId: issue.id } });
    expect(comments.body.data.map((c: any) => c.body)).toEqual(['relabelled']);
  });

  it('sends a for-review issue back to open when the reviewer rejects the fix', async () => {
    const s = await finishedTask(1);
    const issue = (await t.post(`/api/v1/annotations/${s.answers[0]!.id}/issues`, { comment: 'wrong' }, { token: s.reviewer.token })).body;
    await t.patch(`/api/v1/issues/${issue.id}`, { status: 'for_review' }, { token: s.annotator.token });
    const back = await t.patch(`/api/v1/issues/${issue.id}`, { status: 'open', comment: 'still wrong' }, { token: s.reviewer.token });
    expect(back.status).toBe(200);
    expect((await taskOf(t, s.taskId)).counts).toMatchObject({ openIssues: 1, forReview: 0 });
  });

  it('applies the role rules: only the author or a manager marks for_review, only a reviewer or a manager resolves', async () => {
    const s = await finishedTask(1);
    const other = await t.member(s.projectId, 'annotator');
    const manager = await t.member(s.projectId, 'manager');
    const viewer = await t.member(s.projectId, 'viewer');
    const issue = (await t.post(`/api/v1/annotations/${s.answers[0]!.id}/issues`, { comment: 'wrong' }, { token: s.reviewer.token })).body;
    const url = `/api/v1/issues/${issue.id}`;
    expect((await t.patch(url, { status: 'for_review' }, { token: other.token })).status).toBe(403);
    expect((await t.patch(url, { status: 'for_review' }, { token: s.reviewer.token })).status).toBe(403);
    expect((await t.patch(url, { status: 'for_review' }, { token: viewer.token })).status).toBe(403);
    expect((await t.patch(url, { status: 'for_review' }, { token: manager.token })).status).toBe(200);
    expect((await t.patch(url, { status: 'resolved' }, { token: s.annotator.token })).status).toBe(403);
    expect((await t.patch(url, { status: 'resolved' }, { token: manager.token })).status).toBe(200);
    expect((await taskOf(t, s.taskId)).counts).toMatchObject({ openIssues: 0, forReview: 0 });
  });

  it('answers 409 invalid_transition for a move its state does not allow, whoever asks', async () => {
    const s = await finishedTask(1);
    const issue = (await t.post(`/api/v1/annotations/${s.answers[0]!.id}/issues`, { comment: 'wrong' }, { token: s.reviewer.token })).body;
    const same = await t.patch(`/api/v1/issues/${issue.id}`, { status: 'open' }, { token: s.reviewer.token });
    expect(same.status).toBe(409);
    expect(same.body.code).toBe('invalid_transition');
    await t.patch(`/api/v1/issues/${issue.id}`, { status: 'resolved' }, { token: s.reviewer.token });
    const res = await t.patch(`/api/v1/issues/${issue.id}`, { status: 'for_review' }, { token: s.annotator.token });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('invalid_transition');
    expect((await taskOf(t, s.taskId)).counts).toMatchObject({ openIssues: 0, forReview: 0 });
  });

  it('keeps the counters equal to the issues’ states under many parallel moves', async () => {
    const s = await finishedTask(6);
    const opened = [];
    for (const a of s.answers) opened.push((await t.post(`/api/v1/annotations/${a.id}/issues`, { comment: 'check' }, { token: s.reviewer.token })).body);
    // Each issue is moved to for_review by three racing requests: exactly one may win each.
    const results = await Promise.all(opened.flatMap((i) => [1, 2, 3].map(() => t.patch(`/api/v1/issues/${i.id}`, { status: 'for_review' }, { token: s.annotator.token }))));
    expect(results.filter((r) => r.status === 200)).toHaveLength(6);
    expect(results.filter((r) => r.status === 409)).toHaveLength(12);
    // Then half are resolved and half sent back, in parallel.
    await Promise.all(opened.map((i, k) => t.patch(`/api/v1/issues/${i.id}`, { status: k % 2 ? 'resolved' : 'open' }, { token: s.reviewer.token })));
    const task = await taskOf(t, s.taskId);
    expect(task.counts).toMatchObject({ openIssues: 3, forReview: 0 });
    const units = (await t.get(`/api/v1/tasks/${s.taskId}/items`)).body.data;
    expect(units.reduce((n: number, u: any) => n + u.openIssues, 0)).toBe(3);
    expect(units.reduce((n: number, u: any) => n + u.forReview, 0)).toBe(0);
    const unresolved = await t.get(`/api/v1/tasks/${s.taskId}/issues`, { query: { status: 'unresolved' } });
    expect(unresolved.body.data).toHaveLength(3);
  });
});

describe('GET issues', () => {
  it('lists a task’s issues by status, keyset-paginated', async () => {
    const s = await finishedTask(3);
    const ids = [];
    for (const a of s.answers) ids.push((await t.post(`/api/v1/annotations/${a.id}/issues`, { comment: 'x' }, { token: s.reviewer.token })).body.id);
    await t.patch(`/api/v1/issues/${ids[1]}`, { status: 'for_review' }, { token: s.annotator.token });
    const first = await t.get(`/api/v1/tasks/${s.taskId}/issues`, { query: { limit: 2 } });
    expect(first.body.data.map((i: any) => i.id)).toEqual(ids.slice(0, 2));
    const second = await t.get(`/api/v1/tasks/${s.taskId}/issues`, { query: { limit: 2, cursor: first.body.nextCursor } });
    expect(second.body.data.map((i: any) => i.id)).toEqual([ids[2]]);
    expect(second.body.nextCursor).toBeNull();
    const open = await t.get(`/api/v1/tasks/${s.taskId}/issues`, { query: { status: 'open' } });
    expect(open.body.data.map((i: any) => i.id)).toEqual([ids[0], ids[2]]);
  });

  it('shows annotators the issues on their own annotations at /me/issues, and nobody else’s', async () => {
    const s = await finishedTask(2);
    const issue = (await t.post(`/api/v1/annotations/${s.answers[0]!.id}/issues`, { comment: 'fix' }, { token: s.reviewer.token })).body;
    const mine = await t.get('/api/v1/me/issues', { token: s.annotator.token });
    expect(mine.body.data.map((i: any) => i.id)).toEqual([issue.id]);
    expect((await t.get('/api/v1/me/issues', { token: s.reviewer.token })).body.data).toEqual([]);
    await t.patch(`/api/v1/issues/${issue.id}`, { status: 'resolved' }, { token: s.reviewer.token });
    expect((await t.get('/api/v1/me/issues', { token: s.annotator.token, query: { status: 'unresolved' } })).body.data).toEqual([]);
    expect((await t.get(`/api/v1/issues/${issue.id}`, { token: (await t.user()).token })).status).toBe(404);
  });
});

describe('DELETE /api/v1/tasks/:taskId with issues', () => {
  it('refuses with 409 unresolved_issues while an issue is open or for review, and archives once resolved', async () => {
    const s = await finishedTask(1);
    const issue = (await t.post(`/api/v1/annotations/${s.answers[0]!.id}/issues`, { comment: 'x' }, { token: s.reviewer.token })).body;
    const refused = await t.delete(`/api/v1/tasks/${s.taskId}`, { token: s.owner.token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('unresolved_issues');
    await t.patch(`/api/v1/issues/${issue.id}`, { status: 'for_review' }, { token: s.annotator.token });
    expect((await t.delete(`/api/v1/tasks/${s.taskId}`, { token: s.owner.token })).body.code).toBe('unresolved_issues');
    await t.patch(`/api/v1/issues/${issue.id}`, { status: 'resolved' }, { token: s.reviewer.token });
    const done = await t.delete(`/api/v1/tasks/${s.taskId}`, { token: s.owner.token });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ archived: true });
  });
});
