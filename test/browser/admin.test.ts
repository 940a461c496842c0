import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, callApi, openPage, problemsOf, shot, signIn, startHarness, type Harness } from './browser-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 180_000);
afterAll(async () => {
  await h?.close();
});

const api = (method: string, path: string, token: string, body?: unknown, contentType?: string) => callApi(h, method, path, token, body, contentType);

const toast = (page: Page, text: string | RegExp) => page.locator('.toast').filter({ hasText: text }).first().waitFor();

const viewports = [
  { name: 'desktop', size: { width: 1440, height: 900 } },
  { name: 'phone', size: { width: 390, height: 844 } },
];

describe('administration in Chromium', () => {
  for (const [n, v] of viewports.entries()) {
    it(`lets an administrator create a user, make them a member, group them, and issue and revoke a token (${v.name})`, async () => {
      const project = (await api('POST', '/api/v1/projects', h.adminToken, { name: `Team ${v.name}` })).body;
      const page = await openPage(h, v.size);
      await signIn(page, 'admin@localhost', ADMIN_PASSWORD);

      // Users: create one, see the toast.
      await page.goto('/admin/users');
      await page.getByRole('heading', { name: 'Users' }).waitFor();
      expect(await page.title()).toBe('Users · Loupe');
      const email = `lena${n}@example.com`;
      const form = page.getByRole('form', { name: 'Create a user' });
      await form.getByLabel('Email').fill(email);
      await form.getByLabel('Name').fill(`Lena ${v.name}`);
      await form.getByLabel('Password').fill('lena-password-1');
      await form.getByRole('button', { name: 'Create user' }).click();
      await toast(page, `User ${email} created`);
      await page.getByRole('cell', { name: email }).waitFor();
      await shot(page, `admin-users-${v.name}`);

      // The same email again: a plain sentence, the server's words behind "Details".
      await form.getByLabel('Email').fill(email);
      await form.getByLabel('Name').fill('Again');
      await form.getByRole('button', { name: 'Create user' }).click();
      const error = page.locator('.inline-error').first();
      await error.waitFor();
      expect(await error.innerText()).toContain('A user with this email already exists.');
      expect(await error.innerText()).not.toContain('(email_taken)');
      await error.getByText('Details').click();
      expect(await error.locator('code').innerText()).toContain('email_taken');
      await shot(page, `admin-error-${v.name}`);

      // Tokens: create (shown once, with a copy button), then revoke through the in-app dialog.
      await page.getByRole('row').filter({ hasText: email }).getByRole('button', { name: 'API tokens' }).click();
      const dialog = page.getByRole('dialog', { name: `API tokens of Lena ${v.name}` });
      await dialog.getByLabel('Token name').fill('ci');
      await dialog.getByRole('button', { name: 'Create token' }).click();
      const token = await dialog.locator('.token-value').innerText();
      expect(token.length).toBeGreaterThan(20);
      await dialog.getByRole('button', { name: 'Copy' }).waitFor();
      expect((await api('GET', '/api/v1/me', token)).status).toBe(200);
      await shot(page, `admin-token-${v.name}`);
      await dialog.getByRole('button', { name: 'Revoke' }).click();
      await page.getByRole('alertdialog', { name: 'Revoke token' }).getByRole('button', { name: 'Revoke' }).click();
      await toast(page, 'Token “ci” revoked');
      await dialog.getByText('revoked', { exact: true }).waitFor();
      expect((await api('GET', '/api/v1/me', token)).status).toBe(401);
      await dialog.getByRole('button', { name: 'Close' }).click();

      // Members: add by email with a role, then change the role.
      await page.goto(`/p/${project.id}/settings`);
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      expect(await page.title()).toBe('Members · Loupe');
      const add = page.getByRole('form', { name: 'Add a member' });
      await add.getByLabel('Email of the user').fill(email);
      await add.getByLabel('Role of the new member').selectOption('reviewer');
      await add.getByRole('button', { name: 'Add member' }).click();
      await toast(page, `${email} added as reviewer`);
      await page.getByLabel(`Role of ${email}`).selectOption('annotator');
      await toast(page, /is now annotator/);
      const members = (await api('GET', `/api/v1/projects/${project.id}/members`, h.adminToken)).body.data;
      expect(members.find((m: { email: string }) => m.email === email)?.role).toBe('annotator');
      await shot(page, `admin-members-${v.name}`);

      // An unknown email: plain words, no raw problem string.
      await add.getByLabel('Email of the user').fill(`nobody${n}@example.com`);
      await add.getByRole('button', { name: 'Add member' }).click();
      const missing = page.locator('.inline-error').first();
      await missing.waitFor();
      expect(await missing.innerText()).toContain('This no longer exists, or you do not have access to it.');
      expect(await missing.innerText()).not.toMatch(/Not Found:/);

      // Groups: create one with the new member.
      await page.getByRole('tab', { name: 'Groups' }).click();
      const group = page.getByRole('form', { name: 'Create a group' });
      await group.getByLabel('Group name').fill('Night shift');
      await group.getByLabel(`Lena ${v.name}`).check();
      await group.getByRole('button', { name: 'Create group' }).click();
      await toast(page, 'Group “Night shift” created');
      const groups = (await api('GET', `/api/v1/projects/${project.id}/groups`, h.adminToken)).body.data;
      expect(groups).toHaveLength(1);
      expect(groups[0].memberIds).toHaveLength(1);
      await shot(page, `admin-groups-${v.name}`);

      // The audit log lists what happened.
      await page.getByRole('tab', { name: 'Audit log' }).click();
      await page.locator('table').first().waitFor();
      expect(await page.title()).toBe('Audit log · Loupe');
      await shot(page, `admin-audit-${v.name}`);

      // The tasks list: cards on a phone, item names instead of ids on the task page.
      const dataset = (await api('POST', `/api/v1/projects/${project.id}/datasets`, h.adminToken, { name: 'Reviews' })).body;
      const lines = ['{"externalId":"review-001","kind":"text","payload":{"text":"The parcel arrived late and damaged."}}', '{"kind":"text","payload":{"text":"Great service, would order again from them"}}'];
      const imported = await fetch(`${h.url}/api/v1/datasets/${dataset.id}/items`, { method: 'POST', headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/x-ndjson' }, body: lines.join('\n') + '\n' });
      expect(imported.status).toBeLessThan(300);
      const recipe = (await api('POST', `/api/v1/projects/${project.id}/recipes`, h.adminToken, { name: 'Sentiment', labels: [{ name: 'positive' }, { name: 'negative' }], tools: ['classification'] })).body;
      const task = await api('POST', `/api/v1/projects/${project.id}/tasks`, h.adminToken, { name: 'Label the reviews', type: 'labeling', datasetId: dataset.id, recipeId: recipe.id, assigneeIds: [] });
      expect(task.status).toBe(201);
      await page.goto(`/p/${project.id}/tasks`);
      await page.getByRole('link', { name: 'Label the reviews' }).first().waitFor();
      expect(await page.title()).toBe('Tasks · Loupe');
      await shot(page, `admin-tasks-${v.name}`);
      await page.goto(`/tasks/${task.body.id}?tab=items`);
      await page.getByText('review-001').first().waitFor();
      await page.getByText('Great service, would order again from…').first().waitFor();
      await shot(page, `admin-items-${v.name}`);

      // Deleting the task asks in the page, not with window.confirm; Cancel keeps it.
      await page.goto(`/tasks/${task.body.id}`);
      await page.getByRole('button', { name: 'Delete' }).click();
      const ask = page.getByRole('alertdialog', { name: 'Delete “Label the reviews”?' });
      await ask.waitFor();
      await shot(page, `admin-confirm-delete-${v.name}`);
      await ask.getByRole('button', { name: 'Cancel' }).click();
      await ask.waitFor({ state: 'detached' });
      expect((await api('GET', `/api/v1/tasks/${task.body.id}`, h.adminToken)).status).toBe(200);
      await page.getByRole('button', { name: 'Delete' }).click();
      await ask.getByRole('button', { name: 'Delete task' }).click();
      await page.waitForURL((u) => u.pathname === `/p/${project.id}/tasks`);
      expect((await api('GET', `/api/v1/tasks/${task.body.id}`, h.adminToken)).status).toBe(404);

      // Deactivating a user signs them out everywhere: their token stops working; reactivating lets them back.
      const lenaId = members.find((m: { email: string }) => m.email === email)!.userId;
      const lenaToken = (await api('POST', `/api/v1/users/${lenaId}/tokens`, h.adminToken, { name: 'script' })).body.token;
      expect((await api('GET', '/api/v1/me', lenaToken)).status).toBe(200);
      await page.goto('/admin/users');
      const lenaRow = page.getByRole('row').filter({ hasText: email });
      await lenaRow.getByRole('button', { name: 'Deactivate' }).click();
      await page.getByRole('alertdialog', { name: `Deactivate Lena ${v.name}?` }).getByRole('button', { name: 'Deactivate' }).click();
      await toast(page, `Lena ${v.name} is deactivated`);
      await lenaRow.getByTestId('deactivated').waitFor();
      expect((await api('GET', '/api/v1/me', lenaToken)).status).toBe(401);
      // The list itself says who is deactivated: a fresh load still shows it.
      const listed = (await api('GET', `/api/v1/users?q=${encodeURIComponent(email)}`, h.adminToken)).body.data[0];
      expect(new Date(listed.deactivatedAt).getTime()).toBeGreaterThan(0);
      await page.reload();
      await lenaRow.getByTestId('deactivated').waitFor();
      await shot(page, `admin-deactivated-${v.name}`);
      await lenaRow.getByRole('button', { name: 'Reactivate' }).click();
      await toast(page, `Lena ${v.name} can sign in again`);
      const login = await fetch(`${h.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'lena-password-1' }) });
      expect(login.status).toBe(200);

      // A forgotten password: the administrator sets a new one in the page; the old one stops working.
      await lenaRow.getByRole('button', { name: 'Reset password' }).click();
      const reset = page.getByRole('dialog', { name: `Reset the password of Lena ${v.name}` });
      await reset.getByLabel('New password').fill('lena-new-password-2');
      await shot(page, `admin-reset-password-${v.name}`);
      await reset.getByRole('button', { name: 'Set password' }).click();
      await toast(page, `New password set for Lena ${v.name}; 1 session ended`);
      await reset.waitFor({ state: 'detached' });
      const signInAs = (password: string) => fetch(`${h.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
      expect((await signInAs('lena-password-1')).status).toBe(401);
      expect((await signInAs('lena-new-password-2')).status).toBe(200);

      if (v.name === 'phone') {
        const bar = await page.locator('.topbar').boundingBox();
        expect(bar!.height).toBeLessThan(100);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
      }
      expect(problemsOf(page)).toEqual([]);
      await page.context().close();
    });
  }
});
