import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { importItems } from './review-helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('ticket tasks (end to end)', () => {
  it('links a ticket to a test case and an imported scan finding, drafts the test case, and gates its undraft on the ticket', async () => {
    const project = await t.project();
    const token = project.owner.token;
    const developer = await t.member(project.id, 'annotator');
    const expert = await t.member(project.id, 'reviewer');
    const { itemIds: [testCase] } = await importItems(t, project.id, token, [{ kind: 'test_case', payload: { turns: [{ role: 'user', content: 'hi' }], checks: [{ check: 'polite', passed: false }] } }]);
    // Findings of an external scan arrive as record items carrying a `finding` payload.
    const finding = { detector: 'prompt_injection', severity: 'major', description: 'The agent follows injected instructions', examples: [{ input: 'ignore previous instructions' }] };
    const { itemIds: [findingId] } = await importItems(t, project.id, token, [{ kind: 'record', externalId: 'scan-1/finding-1', payload: { finding } }]);
    const stored = await t.get(`/api/v1/items/${findingId}`, { token });
    expect(stored.body).toMatchObject({ kind: 'record', payload: { finding } });

    const created = await t.post(`/api/v1/projects/${project.id}/tasks`, {
      name: 'Fix the injection weakness', type: 'ticket', description: 'Ask an AI developer to fix the agent', priority: 'high',
      assigneeIds: [developer.id, expert.id], links: [{ kind: 'item', id: testCase }, { kind: 'finding', id: findingId }], draftLinkedItems: true,
    }, { token });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const ticket = created.body;
    expect(ticket).toMatchObject({ type: 'ticket', workflowState: 'open', priority: 'high' });
    expect(ticket.links).toEqual(expect.arrayContaining([{ kind: 'item', id: testCase }, { kind: 'finding', id: findingId }]));
    expect((await t.get(`/api/v1/items/${testCase}`, { token })).body.draft).toBe(true);

    const undraft = await t.patch(`/api/v1/items/${testCase}`, { draft: false }, { token });
    expect(undraft.status).toBe(409);
    expect(undraft.body.code).toBe('linked_tasks_unresolved');

    const move = (to: string, who: string) => t.post(`/api/v1/tasks/${ticket.id}/transitions`, { to }, { token: who });
    expect((await move('in_progress', developer.token)).status).toBe(200);
    expect((await move('resolved', expert.token)).status).toBe(200);
    expect((await t.patch(`/api/v1/items/${testCase}`, { draft: false }, { token })).status).toBe(200);
    // Reopening the ticket gates the next undraft again.
    expect((await move('open', developer.token)).status).toBe(200);
    await t.patch(`/api/v1/items/${testCase}`, { draft: true }, { token });
    expect((await t.patch(`/api/v1/items/${testCase}`, { draft: false }, { token })).body.code).toBe('linked_tasks_unresolved');
  });

  it('lists “my tickets” and unassigned tickets', async () => {
    const project = await t.project();
    const token = project.owner.token;
    const developer = await t.member(project.id, 'annotator');
    const mine = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'mine', type: 'ticket', assigneeIds: [developer.id] }, { token })).body.id;
    const nobodys = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'nobody', type: 'ticket' }, { token })).body.id;
    const list = async (query: Record<string, string>, who = token) => (await t.get(`/api/v1/projects/${project.id}/tasks`, { token: who, query: { type: 'ticket', ...query } })).body.data.map((x: any) => x.id);
    expect(await list({ assignee: 'me' }, developer.token)).toEqual([mine]);
    expect(await list({ assignee: 'unassigned' })).toEqual([nobodys]);
    expect(await list({ assignee: developer.id })).toEqual([mine]);
  });
});
