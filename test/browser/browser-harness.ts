import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApp, type BuiltApp } from '../../src/api/app.ts';
import { bootstrapAdmin, createToken, createUser } from '../../src/auth/auth.service.ts';
import { openDb, type Database } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { jobDefinitions } from '../../src/main/job-definitions.ts';
import { PgBossQueue } from '../../src/jobs/jobs.ts';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const screenshotsDir = `${root}artifacts/screenshots`;
export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface Harness {
  url: string;
  built: BuiltApp;
  browser: Browser;
  adminToken: string;
  /** Creates a user with a password and an API token (through the services, as the bootstrap does). */
  user(name: string, email: string, password: string): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

/**
 * A real server on a random port (in-memory PGlite, job workers running) serving the web app
 * that global-setup.ts built for this run, and Debian's Chromium driven by playwright-core.
 */
export async function startHarness(): Promise<Harness> {
  mkdirSync(screenshotsDir, { recursive: true });
  const database: Database = await openDb({ dataDir: 'memory://' });
  await runMigrations(database);
  const jobs = new PgBossQueue(database);
  const built = await buildApp({ database, jobs, logger: false, webRoot: `${root}web/dist` });
  await jobs.start(built.ctx, jobDefinitions, { work: true, schedule: false });
  const admin = await bootstrapAdmin(built.ctx, { password: ADMIN_PASSWORD });
  if (!admin.token) throw new Error('the bootstrap did not create the administrator');
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const address = built.app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    url,
    built,
    browser,
    adminToken: admin.token,
    async user(name, email, password) {
      const u = await createUser(built.ctx, null, { email, name, password });
      const t = await createToken(built.ctx, { userId: u.id, isAdmin: false }, u.id, 'test');
      return { id: u.id, token: t.token };
    },
    async close() {
      await browser.close();
      await built.app.close();
      await jobs.stop(2000);
      await database.close();
    },
  };
}

/** A fresh browser context (its own cookies) with a page of the given size. */
export async function openPage(h: Harness, size = { width: 1280, height: 800 }): Promise<Page> {
  const context = await h.browser.newContext({ viewport: size, baseURL: h.url });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  (page as Page & { problems: string[] }).problems = problems;
  return page;
}

export const problemsOf = (page: Page) => (page as Page & { problems?: string[] }).problems ?? [];

export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
}

export async function shot(page: Page, name: string, options: { keepScroll?: boolean } = {}) {
  if (!options.keepScroll) await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(150);
  await page.screenshot({ path: `${screenshotsDir}/${name}.png`, fullPage: false });
}

/**
 * Calls the harness server's API as `token`: a string body is sent as it is (with `contentType`),
 * anything else as JSON. The answer's body is parsed when it is JSON, kept as text otherwise, and
 * null when empty.
 */
export async function callApi(h: Harness, method: string, path: string, token: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!text) return { status: res.status, body: null };
  return { status: res.status, body: (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
}
