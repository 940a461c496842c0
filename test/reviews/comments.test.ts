import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { annotateAndSet, setupTask } from './review-helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

async function subjects() {
  const s = await setupTask(t, { count: 1 });
  const annotator = s.annotators[0]!;
  const annotation = await annotateAndSet(t, s.taskId, s.itemIds[0]!, [{ tool: 'classification', label: 'cat' }], annotator);
  const reviewer = await t.member(s.projectId, 'reviewer');
  const issue = (await t.post(`/api/v1/annotations/${annotation.id}/issues`, { comment: 'why cat?' }, { token: reviewer.token })).body;
  return { ...s, annotator, reviewer, annotation, issue };
}

describe('POST /api/v1/comments', () => {
  it('comments on tasks, items, annotations and issues with author and time, listed oldest first', async () => {
    const s = await subjects();
    const targets = [
      ['task', s.taskId],
      ['item', s.itemIds[0]],
      ['annotation', s.annotation.id],
      ['issue', s.issue.id],
    ] as const;
    for (const [subjectKind, subjectId] of targets) {
      const first = await t.post('/api/v1/comments', { subjectKind, subjectId, body: `first on ${subjectKind}` }, { token: s.annotator.token });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ subjectKind, subjectId, kind: 'comment', authorId: s.annotator.id, author: { id: s.annotator.id, name: s.annotator.name } });
      expect(Number.isNaN(Date.parse(first.body.createdAt))).toBe(false);
      await t.post('/api/v1/comments', { subjectKind, subjectId, body: `second on ${subjectKind}` }, { token: s.reviewer.token });
      const list = await t.get('/api/v1/comments', { token: s.annotator.token, query: { subjectKind, subjectId } });
      expect(list.status).toBe(200);
      expect(list.body.data.map((c: any) => c.body)).toEqual([`first on ${subjectKind}`, `second on ${subjectKind}`]);
    }
  });

  it('pages through a subject’s comments with an opaque cursor', async () => {
    const s = await subjects();
    for (let i = 0; i < 5; i++) await t.post('/api/v1/comments', { subjectKind: 'item', subjectId: s.itemIds[0], body: `c${i}` }, { token: s.annotator.token });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.get('/api/v1/comments', { query: { subjectKind: 'item', subjectId: s.itemIds[0], limit: 2, cursor } });
      seen.push(...page.body.data.map((c: any) => c.body));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
  });

  it('refuses viewers (403), hides foreign and unknown subjects (404)', async () => {
    const s = await subjects();
    const viewer = await t.member(s.projectId, 'viewer');
    const outsider = await t.project();
    const body = { subjectKind: 'task', subjectId: s.taskId, body: 'hello' };
    expect((await t.post('/api/v1/comments', body, { token: viewer.token })).status).toBe(403);
    expect((await t.post('/api/v1/comments', body, { token: outsider.owner.token })).status).toBe(404);
    expect((await t.get('/api/v1/comments', { token: outsider.owner.token, query: { subjectKind: 'task', subjectId: s.taskId } })).status).toBe(404);
    expect((await t.post('/api/v1/comments', { ...body, subjectKind: 'issue' }, { token: s.annotator.token })).status).toBe(404);
    expect((await t.post('/api/v1/comments', { ...body, subjectId: 'not-an-id' }, { token: s.annotator.token })).status).toBe(404);
    expect((await t.get('/api/v1/comments', { token: viewer.token, query: { subjectKind: 'task', subjectId: s.taskId } })).body.data).toEqual([]);
  });
});

describe('review failure comments', () => {
  it('shows the annotator the fail-review comment among the task’s comments', async () => {
    const s = await subjects();
    const move = (to: string, token: string, comment?: string) => t.post(`/api/v1/tasks/${s.taskId}/transitions`, { to, comment }, { token });
    expect((await move('in_progress', s.annotator.token)).status).toBe(200);
    expect((await move('pending_review', s.annotator.token)).status).toBe(200);
    expect((await move('in_progress', s.owner.token, 'Boxes are too loose, redo item 1')).status).toBe(200);
    const list = await t.get('/api/v1/comments', { token: s.annotator.token, query: { subjectKind: 'task', subjectId: s.taskId } });
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ kind: 'review_failure', body: 'Boxes are too loose, redo item 1', authorId: s.owner.id });
  });
});
