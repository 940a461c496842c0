import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Database } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { bootstrapAdmin, authenticateToken, login } from '../../src/auth/auth.service.ts';
import { systemClock } from '../../src/core/clock.ts';
import { systemRandom } from '../../src/core/random.ts';
import { datasetUse, pullGate, statusListeners } from '../../src/api/modules.ts';
import type { Ctx } from '../../src/context.ts';
import type { JobQueue } from '../../src/jobs/jobs.ts';

/** Bootstrap needs an empty database, so these tests make their own in-memory one. */
const noJobs: JobQueue = { enqueue: async () => null };
let database: Database | undefined;
afterEach(() => database?.close());

async function emptyCtx(): Promise<Ctx> {
  database = await openDb({ dataDir: 'memory://' });
  await runMigrations(database);
  return { db: database.db, clock: systemClock, random: systemRandom, sweeps: new Map(), jobs: noJobs, datasetUse, pullGate, statusListeners };
}

describe('first start', () => {
  it('creates admin@localhost whose token is LOUPE_ADMIN_TOKEN, once', async () => {
    const ctx = await emptyCtx();
    const first = await bootstrapAdmin(ctx, { token: 'lp_from_env_123', password: 'env password 1' });
    expect(first).toEqual({ created: true, token: undefined, password: undefined });
    expect(await authenticateToken(ctx, 'lp_from_env_123')).toMatchObject({ isAdmin: true });
    const session = await login(ctx, { email: 'admin@localhost', password: 'env password 1', address: '::1' });
    expect(session.user.email).toBe('admin@localhost');
    expect((await bootstrapAdmin(ctx, { token: 'lp_other' })).created).toBe(false);
    expect(await authenticateToken(ctx, 'lp_other')).toBeNull();
  });

  it('generates a token and password to print when none is configured', async () => {
    const ctx = await emptyCtx();
    const result = await bootstrapAdmin(ctx);
    expect(result.created).toBe(true);
    expect(result.token).toMatch(/^lp_/);
    expect(await authenticateToken(ctx, result.token!)).toMatchObject({ isAdmin: true });
    const session = await login(ctx, { email: 'admin@localhost', password: result.password!, address: '::1' });
    expect(session.user.isAdmin).toBe(true);
  });
});

describe('first start, interrupted', () => {
  it('creates the administrator and its token in one transaction: a failure before the token leaves no user, and the next start bootstraps', async () => {
    const ctx = await emptyCtx();
    // A clock that fails on its second reading: after the user is written, before its token.
    let readings = 0;
    const failing: Ctx = { ...ctx, clock: { now: () => {
      if (++readings === 2) throw new Error('crash between user and token');
      return new Date();
    } } };
    await expect(bootstrapAdmin(failing, { token: 'lp_interrupted_token_0123456789' })).rejects.toThrow('crash between user and token');
    const again = await bootstrapAdmin(ctx, { token: 'lp_interrupted_token_0123456789' });
    expect(again.created).toBe(true);
    expect(await authenticateToken(ctx, 'lp_interrupted_token_0123456789')).toMatchObject({ isAdmin: true });
  });
});
