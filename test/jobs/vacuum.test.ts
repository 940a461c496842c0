import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autovacuumRunning, maintainTables, tablesDue } from '../../src/db/vacuum.ts';
import { rowsOf } from '../../src/task-units/item-selection.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { usingPostgres } from '../support/test-db.ts';

// Its own database: the pass vacuums and analyzes every table it finds due.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ ownDatabase: true });
  const small = 'autovacuum_vacuum_threshold = 20, autovacuum_vacuum_scale_factor = 0, autovacuum_analyze_threshold = 20, autovacuum_analyze_scale_factor = 0';
  const run = async (...statements: string[]) => {
    for (const s of statements) await t.ctx.db.execute(sql.raw(s));
  };
  await run(
    `create table vac_churned (id int primary key, n int not null) with (${small})`,
    `create table vac_disabled (id int primary key, n int not null) with (${small}, autovacuum_enabled = false)`,
    `create table vac_quiet (id int primary key, n int not null)`,
    // Updates of an indexed column are not HOT: page pruning cannot take their dead rows away.
    `create index on vac_churned (n)`,
    `create index on vac_disabled (n)`,
    `insert into vac_churned select g, 0 from generate_series(1, 1000) g`,
    `insert into vac_disabled select g, 0 from generate_series(1, 1000) g`,
    `insert into vac_quiet select g, 0 from generate_series(1, 1000) g`,
    `analyze vac_churned, vac_disabled, vac_quiet`,
  );
  await run(`update vac_churned set n = n + 1`, `update vac_disabled set n = n + 1`);
  await run(`update vac_quiet set n = 1 where id <= 5`);
});
afterAll(() => t?.close());

const stats = async (table: string) =>
  rowsOf<{ dead: number; vacuums: number; analyzes: number }>(
    await t.ctx.db.execute(sql`select n_dead_tup::int as dead, (vacuum_count + autovacuum_count)::int as vacuums, (analyze_count + autoanalyze_count)::int as analyzes
      from pg_stat_user_tables where relname = ${table}`),
  )[0]!;

/**
 * Table statistics reach the shared view a moment after the transactions that made them (a
 * second or so, and not all at once): wait until every update of both churned tables counts.
 */
async function dueOnceCounted() {
  for (let i = 0; i < 75; i++) {
    const due = await tablesDue(t.ctx.db);
    if ((due.find((d) => d.table === 'public.vac_churned')?.deadRows ?? 0) > 900 && (await stats('vac_disabled')).dead > 900) return due;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the churned table never became due');
}

/** docs/deployment.md, "Vacuum when autovacuum does not run". */
describe('vacuum where autovacuum does not run', () => {
  it('knows whether the server runs autovacuum: never the embedded database, a server by its settings', async () => {
    const running = await autovacuumRunning(t.ctx.db);
    if (!usingPostgres()) expect(running).toBe(false);
    else {
      const settings = rowsOf<{ autovacuum: string; counts: string }>(
        await t.ctx.db.execute(sql`select current_setting('autovacuum') as autovacuum, current_setting('track_counts') as counts`),
      )[0]!;
      expect(running).toBe(settings.autovacuum === 'on' && settings.counts === 'on');
    }
  });

  it('picks the tables past their own thresholds, skips those with autovacuum disabled, and vacuums them', async () => {
    const due = await dueOnceCounted();
    const churned = due.find((d) => d.table === 'public.vac_churned')!;
    expect(churned).toMatchObject({ vacuum: true, analyze: true });
    expect(churned.deadRows).toBeGreaterThan(900);
    const names = due.map((d) => d.table);
    expect(names).not.toContain('public.vac_disabled');
    // 5 dead rows of 1,000 is under the server's default vacuum threshold (50 + 20 %). (Its
    // inserts may still count as changes since its analyze: statistics arrive late.)
    expect(due.find((d) => d.table === 'public.vac_quiet')?.vacuum ?? false).toBe(false);
    expect((await stats('vac_disabled')).dead).toBeGreaterThan(900);

    const before = await stats('vac_churned');
    const running = await autovacuumRunning(t.ctx.db);
    const done = await maintainTables(t.ctx.db);
    if (running) expect(done).toEqual([]);
    else expect(done.map((d) => d.table)).toContain('public.vac_churned');
    // Forced, as where autovacuum does not run: the churned table is vacuumed and analyzed, the others are not.
    if (running) await maintainTables(t.ctx.db, { force: true });
    const after = await stats('vac_churned');
    expect(after.dead).toBe(0);
    expect(after.vacuums).toBeGreaterThan(before.vacuums);
    expect(after.analyzes).toBeGreaterThan(before.analyzes);
    const disabled = await stats('vac_disabled');
    expect(disabled.vacuums).toBe(0);
    expect(disabled.dead).toBeGreaterThan(900);
    expect((await stats('vac_quiet')).vacuums).toBe(0);
    // Nothing is due any more for the churned table.
    expect((await tablesDue(t.ctx.db)).map((d) => d.table)).not.toContain('public.vac_churned');
  });
});
