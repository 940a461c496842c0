import { inject } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp, type AppDeps, type BuiltApp } from '../../src/api/app.ts';
import type { Ctx } from '../../src/context.ts';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import type { Database } from '../../src/db/client.ts';
import { PgBossQueue, type JobDefinition } from '../../src/jobs/jobs.ts';
import { jobDefinitions } from '../../src/main/job-definitions.ts';
import { createToken, createUser } from '../../src/auth/auth.service.ts';
import { createProject, putMember } from '../../src/projects/projects.service.ts';
import type { Role } from '../../src/core/shared/roles.ts';
import { openTestDb, prepareTemplate, usingPostgres } from './test-db.ts';

export interface TestUser {
  id: string;
  email: string;
  name: string;
  token: string;
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: LightMyRequestResponse['headers'];
  raw: LightMyRequestResponse;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  /** Raw payload (NDJSON, CSV); sent as is with the given content type. */
  payload?: string | Buffer;
  contentType?: string;
}

let sequence = 0;
/** A unique suffix for names and emails, so tests sharing a database never collide. */
export const unique = (prefix = 'x') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++sequence}`;

export class TestApp {
  constructor(
    readonly built: BuiltApp,
    readonly database: Database,
    readonly jobs: PgBossQueue,
    readonly admin: TestUser,
  ) {}

  get app() {
    return this.built.app;
  }
  get ctx(): Ctx {
    return this.built.ctx;
  }

  /** `app.inject` with a bearer token (the admin's unless `token` is given; `null` for none). */
  async request<T = any>(method: string, url: string, options: RequestOptions = {}): Promise<Reply<T>> {
    const token = options.token === undefined ? this.admin.token : options.token;
    const headers: Record<string, string> = { ...options.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | Buffer | undefined = options.payload;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    } else if (payload !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const query = options.query
      ? Object.fromEntries(Object.entries(options.query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]))
      : undefined;
    const raw = await this.app.inject({ method: method as 'GET', url, headers, payload, query });
    let body: unknown = raw.body;
    const type = String(raw.headers['content-type'] ?? '');
    if (type.includes('json') && raw.body) body = JSON.parse(raw.body);
    return { status: raw.statusCode, body: body as T, headers: raw.headers, raw };
  }

  get = <T = any>(url: string, o?: RequestOptions) => this.request<T>('GET', url, o);
  post = <T = any>(url: string, body?: unknown, o?: RequestOptions) => this.request<T>('POST', url, { ...o, body });
  put = <T = any>(url: string, body?: unknown, o?: RequestOptions) => this.request<T>('PUT', url, { ...o, body });
  patch = <T = any>(url: string, body?: unknown, o?: RequestOptions) => this.request<T>('PATCH', url, { ...o, body });
  delete = <T = any>(url: string, o?: RequestOptions) => this.request<T>('DELETE', url, o);

  /** A new user with an API token (created through the services, not the API under test). */
  async user(name = unique('user')): Promise<TestUser> {
    const adminCaller = { userId: this.admin.id, isAdmin: true };
    const user = await createUser(this.ctx, adminCaller, { email: `${name}@example.com`, name, password: 'correct horse battery' });
    const { token } = await createToken(this.ctx, adminCaller, user.id, 'test');
    return { id: user.id, email: user.email, name: user.name, token };
  }

  /** A new project owned by a new user. */
  async project(name = unique('project')) {
    const owner = await this.user();
    const project = await createProject(this.ctx, { userId: owner.id, isAdmin: false }, { name });
    return { project, owner, id: project.id };
  }

  /** A new user who is a member of `projectId` with `role`. */
  async member(projectId: string, role: Role): Promise<TestUser> {
    const user = await this.user(unique(role));
    await putMember(this.ctx, { userId: this.admin.id, isAdmin: true }, projectId, user.id, role);
    return user;
  }

  async close() {
    await this.app.close();
    await this.jobs.stop(1000).catch(() => {});
    await this.database.close();
    await this.onClose?.();
  }

  /** Runs after the database is closed (drops a file's own database). */
  onClose?: () => Promise<void>;
}

export interface TestAppOptions {
  clock?: Clock;
  /** Run job workers in this app (off by default: jobs are enqueued, not run). */
  work?: boolean;
  jobs?: JobDefinition<any>[];
  /**
   * A database of this file's own on PostgreSQL (made and migrated now, dropped on close), for
   * tests whose actions are global to a database (pausing every queue, clearing pg-boss's
   * tables) and would reach other files' jobs on the run's shared database. On PGlite every
   * file's database is already its own.
   */
  ownDatabase?: boolean;
  /** LLM judges' settings (tests point them at a stub server). */
  llm?: AppDeps['llm'];
  /** Upload bounds for item imports (small thresholds in tests). */
  uploads?: AppDeps['uploads'];
  /** Status listeners of this app, after the modules' own (a test's probe). */
  statusListeners?: AppDeps['statusListeners'];
  /** Server timeouts (short ones in tests of the timeouts). */
  timeouts?: AppDeps['timeouts'];
}

/**
 * One app per test file (call in `beforeAll`, close in `afterAll`), on the run's test database:
 * PGlite from the migrated snapshot, or the PostgreSQL database of this run.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const own = options.ownDatabase && usingPostgres() ? await prepareTemplate() : null;
  const database = await openTestDb(own ?? { databaseUrl: inject('testDatabaseUrl') || undefined, snapshotPath: inject('testSnapshotPath') || undefined });
  const jobs = new PgBossQueue(database, { schedule: false });
  const built = await buildApp({ database, jobs, clock: options.clock ?? systemClock, logger: process.env.TEST_LOG ? { level: 'error' } : false, ...(options.llm ? { llm: options.llm } : {}), ...(options.uploads ? { uploads: options.uploads } : {}), ...(options.statusListeners ? { statusListeners: options.statusListeners } : {}), ...(options.timeouts ? { timeouts: options.timeouts } : {}) });
  await jobs.start(built.ctx, options.jobs ?? jobDefinitions, { work: options.work ?? false, schedule: false });
  const name = unique('admin');
  const adminUser = await createUser(built.ctx, null, { email: `${name}@example.com`, name, isAdmin: true, password: 'correct horse battery' });
  const { token } = await createToken(built.ctx, { userId: adminUser.id, isAdmin: true }, adminUser.id, 'test');
  const app = new TestApp(built, database, jobs, { id: adminUser.id, email: adminUser.email, name, token });
  if (own) app.onClose = own.cleanup;
  return app;
}
