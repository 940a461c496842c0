import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const scorecard = {
  name: 'Support QA',
  labels: [{ name: 'issue', color: '#ff0000', attributes: [{ name: 'severity', type: 'select', options: ['low', 'high'], required: true }] }],
  tools: ['rating', 'text_span'],
  statuses: [{ name: 'skipped', countsAsDone: false }, { name: 'escalated' }],
  ratingCategories: [{ name: 'empathy', min: 1, max: 5, weight: 1 }, { name: 'resolution', min: 0, max: 10, weight: 2 }],
  instructionsUrl: 'https://wiki.example.com/qa',
  validation: [{ rule: 'required_tool', tool: 'rating', min: 2, message: 'Rate both categories' }, { rule: 'no_overlapping_spans' }],
};

describe('recipes API', () => {
  it('creates a recipe with labels, tools, statuses, rating categories and rules, and reads it back', async () => {
    const { id: projectId, owner } = await t.project();
    const created = await t.post(`/api/v1/projects/${projectId}/recipes`, scorecard, { token: owner.token });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...scorecard, projectId });
    const read = await t.get(`/api/v1/recipes/${created.body.id}`, { token: owner.token });
    expect(read.body).toEqual(created.body);
    const list = await t.get(`/api/v1/projects/${projectId}/recipes`, { token: owner.token });
    expect(list.body.data.map((r: any) => r.id)).toEqual([created.body.id]);
  });

  it('defaults a rating category’s weight to 1', async () => {
    const { id: projectId, owner } = await t.project();
    const res = await t.post(`/api/v1/projects/${projectId}/recipes`, { name: 'r', labels: [], tools: ['rating'], ratingCategories: [{ name: 'x', min: 1, max: 3 }] }, { token: owner.token });
    expect(res.body.ratingCategories).toEqual([{ name: 'x', min: 1, max: 3, weight: 1 }]);
  });

  it('refuses incoherent recipes with 422 naming the problem', async () => {
    const { id: projectId, owner } = await t.project();
    const cases: Array<[unknown, string]> = [
      [{ name: 'r', labels: [{ name: 'a' }, { name: 'a' }], tools: ['classification'] }, 'unique'],
      [{ name: 'r', labels: [], tools: ['bbox'] }, 'at least one label'],
      [{ name: 'r', labels: [{ name: 'a', attributes: [{ name: 's', type: 'select' }] }], tools: ['classification'] }, 'needs options'],
      [{ name: 'r', labels: [], tools: ['rating'] }, 'rating categories'],
      [{ name: 'r', labels: [], tools: ['rating'], ratingCategories: [{ name: 'x', min: 5, max: 1 }] }, 'min < max'],
      [{ name: 'r', labels: [{ name: 'a' }], tools: ['classification'], validation: [{ rule: 'required_tool', tool: 'bbox' }] }, 'does not offer'],
      [{ name: 'r', labels: [{ name: 'a' }], tools: ['classification'], validation: [{ rule: 'allowed_labels', tool: 'classification', labels: ['z'] }] }, 'unknown labels'],
      [{ name: 'r', labels: [{ name: 'a' }], tools: ['classification'], validation: [{ rule: 'required_attribute', label: 'a', attribute: 'q' }] }, 'no attribute'],
    ];
    for (const [body, message] of cases) {
      const res = await t.post(`/api/v1/projects/${projectId}/recipes`, body, { token: owner.token });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.detail).toContain(message);
    }
  });

  it('refuses malformed bodies (unknown tool, unknown rule) with 400', async () => {
    const { id: projectId, owner } = await t.project();
    expect((await t.post(`/api/v1/projects/${projectId}/recipes`, { name: 'r', labels: [], tools: ['paintbrush'] }, { token: owner.token })).status).toBe(400);
    expect((await t.post(`/api/v1/projects/${projectId}/recipes`, { name: 'r', labels: [{ name: 'a' }], tools: ['classification'], validation: [{ rule: 'eval', code: 'process.exit()' }] }, { token: owner.token })).status).toBe(400);
  });

  it('patches a recipe: given fields replace the old ones, re-checked as a whole, audited', async () => {
    const { id: projectId, owner } = await t.project();
    const { body: recipe } = await t.post(`/api/v1/projects/${projectId}/recipes`, scorecard, { token: owner.token });
    const patched = await t.patch(`/api/v1/recipes/${recipe.id}`, { name: 'Support QA v2', statuses: [{ name: 'skipped', countsAsDone: true }] }, { token: owner.token });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Support QA v2', statuses: [{ name: 'skipped', countsAsDone: true }], tools: scorecard.tools });
    const incoherent = await t.patch(`/api/v1/recipes/${recipe.id}`, { tools: ['text_span'] }, { token: owner.token });
    expect(incoherent.status).toBe(422);
    const audit = await t.get('/api/v1/audit', { query: { projectId, subjectId: recipe.id } });
    expect(audit.body.data.map((e: any) => e.action)).toEqual(['recipe.update', 'recipe.create']);
  });

  it('lets viewers read and refuses them writes; managers write', async () => {
    const { id: projectId, owner } = await t.project();
    const viewer = await t.member(projectId, 'viewer');
    const manager = await t.member(projectId, 'manager');
    const created = await t.post(`/api/v1/projects/${projectId}/recipes`, scorecard, { token: manager.token });
    expect(created.status).toBe(201);
    const recipe = created.body;
    expect((await t.post(`/api/v1/projects/${projectId}/recipes`, scorecard, { token: viewer.token })).status).toBe(403);
    const read = await t.get(`/api/v1/recipes/${recipe.id}`, { token: viewer.token });
    expect(read.status).toBe(200);
    expect(read.body.name).toBe(scorecard.name);
    expect((await t.patch(`/api/v1/recipes/${recipe.id}`, { name: 'x' }, { token: viewer.token })).status).toBe(403);
    expect((await t.get(`/api/v1/recipes/${recipe.id}`, { token: viewer.token })).body.name).toBe(scorecard.name);
    const renamed = await t.patch(`/api/v1/recipes/${recipe.id}`, { name: 'renamed by the manager' }, { token: manager.token });
    expect(renamed.status).toBe(200);
    expect((await t.patch(`/api/v1/recipes/${recipe.id}`, { name: 'renamed by the owner' }, { token: owner.token })).status).toBe(200);
    expect((await t.get(`/api/v1/recipes/${recipe.id}`, { token: viewer.token })).body.name).toBe('renamed by the owner');
    expect((await t.get(`/api/v1/recipes/${recipe.id}`, { token: (await t.user()).token })).status).toBe(404);
  });
});
