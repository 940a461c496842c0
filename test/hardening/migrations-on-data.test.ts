import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import pg from 'pg';
import { migrationsFolder } from '../../src/db/migrate.ts';

/**
 * Each migration must apply to a database already holding data (issue 12, item 16): migration
 * N runs on a database migrated to N-1 with a row in every table, so a NOT NULL column added
 * without a default, or a constraint existing rows break, fails here instead of at an upgrade.
 *
 * One database is migrated a file at a time. Before each file is applied, a transaction fills
 * every table and applies the file onto those rows, then rolls back (DDL is transactional on both
 * databases, as the migrator relies on): the file has met data, and the next one starts from the
 * database as migrated. Migrating a fresh database up to each file instead took 3 minutes on
 * the embedded database, growing with the square of the migrations.
 */
interface Conn {
  exec(sql: string): Promise<void>;
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const files = readdirSync(migrationsFolder).filter((f) => f.endsWith('.sql')).sort();
const statements = (file: string) =>
  readFileSync(join(migrationsFolder, file), 'utf8')
    .split('--> statement-breakpoint')
    .map((s) => s.trim())
    .filter(Boolean);

async function openFresh(name: string): Promise<Conn> {
  const url = inject('testDatabaseUrl');
  if (!url) {
    const db = await PGlite.create({ extensions: { pg_trgm } });
    return { exec: async (s) => void (await db.exec(s)), rows: async (s, p) => (await db.query(s, p)).rows as never, close: () => db.close() };
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  return {
    exec: async (s) => void (await client.query(s)),
    rows: async (s, p) => (await client.query(s, p as unknown[])).rows,
    close: async () => {
      await client.end();
      await admin.query(`drop database if exists ${name}`);
      await admin.end();
    },
  };
}

const sample = (type: string) =>
  ({ uuid: 'gen_random_uuid()', text: `'x'`, integer: '1', bigint: '1', smallint: '1', boolean: 'false', jsonb: `'[]'::jsonb`, json: `'[]'::json`, real: '1', 'double precision': '1', numeric: '1', date: 'current_date', bytea: `'\\x00'::bytea` } as Record<string, string>)[type] ??
  (type.startsWith('timestamp') ? 'now()' : type === 'ARRAY' ? `'{}'` : `null`);

/** Puts one row in every table it can (parents before children), returning the filled tables. In a transaction the caller opened. */
async function fillEveryTable(db: Conn): Promise<Set<string>> {
  const tables = (await db.rows<{ t: string }>(`select table_name as t from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like '%drizzle%'`)).map((r) => r.t);
  // Every table's columns and foreign keys, read once (the catalog views are slow to query table by table).
  const allColumns = await db.rows<{ t: string; c: string; type: string; nullable: string; def: string | null; gen: string }>(
    `select table_name as t, column_name as c, data_type as type, is_nullable as nullable, column_default as def, is_generated as gen from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position`,
  );
  const allFks = await db.rows<{ t: string; c: string; ft: string; fc: string }>(
    `select tc.table_name as t, kcu.column_name as c, ccu.table_name as ft, ccu.column_name as fc
       from information_schema.table_constraints tc
       join information_schema.key_column_usage kcu on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema
       join information_schema.constraint_column_usage ccu on ccu.constraint_name = tc.constraint_name and ccu.table_schema = tc.table_schema
      where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = 'public'`,
  );
  const filled = new Set<string>();
  for (let pass = 0; pass < 6 && filled.size < tables.length; pass++) {
    for (const table of tables.filter((x) => !filled.has(x))) {
      const columns = allColumns.filter((c) => c.t === table);
      const fks = allFks.filter((f) => f.t === table);
      const names: string[] = [];
      const values: string[] = [];
      for (const col of columns) {
        if (col.gen === 'ALWAYS') continue;
        const fk = fks.find((f) => f.c === col.c);
        if (fk) {
          names.push(`"${col.c}"`);
          values.push(`(select "${fk.fc}" from "${fk.ft}" limit 1)`);
        } else if (col.nullable === 'NO' && col.def === null) {
          names.push(`"${col.c}"`);
          values.push(sample(col.type));
        }
      }
      // In the caller's transaction: a refused insert rolls back to its savepoint, not the whole fill.
      await db.exec('savepoint fill_row');
      try {
        await db.exec(`insert into "${table}" (${names.join(', ')}) values (${values.join(', ')})`);
        await db.exec('release savepoint fill_row');
        filled.add(table);
      } catch {
        // A parent is still empty (or a check refuses the sample): the next pass tries again.
        await db.exec('rollback to savepoint fill_row');
      }
    }
  }
  return filled;
}

describe('every migration applied onto a database holding data (issue 12, item 16)', () => {
  it('applies each migration in turn onto rows in every earlier table', { timeout: 600_000 }, async () => {
    const failures: string[] = [];
    const db = await openFresh(`loupe_mig_${process.pid}`);
    try {
      for (const s of statements(files[0]!)) await db.exec(s);
      for (let i = 1; i < files.length; i++) {
        await db.exec('begin');
        try {
          const filled = await fillEveryTable(db);
          expect(filled.size).toBeGreaterThan(0);
          try {
            for (const s of statements(files[i]!)) await db.exec(s);
          } catch (error) {
            failures.push(`${files[i]}: ${(error as Error).message}`);
          }
        } finally {
          await db.exec('rollback');
        }
        for (const s of statements(files[i]!)) await db.exec(s);
      }
    } finally {
      await db.close();
    }
    expect(failures).toEqual([]);
  });

  it('fills the issues table before 0006 runs (the case this guards)', async () => {
    const i = files.indexOf('0006_issues_comment.sql');
    const db = await openFresh(`loupe_mig_${process.pid}_issues`);
    try {
      for (const file of files.slice(0, i)) for (const s of statements(file)) await db.exec(s);
      await db.exec('begin');
      expect([...(await fillEveryTable(db))]).toContain('issues');
      await db.exec('rollback');
    } finally {
      await db.close();
    }
  });
});
