import { createHash } from 'node:crypto';
import { parse, PGlite, protocol, type QueryOptions, type Results } from '@electric-sql/pglite';

/**
 * Named statements on the embedded database: parsed and analysed once per PGlite instance, then
 * only bound and executed, as node-postgres does for named statements on PostgreSQL.
 *
 * PGlite's own `query` sends every statement unnamed (Parse, Describe, Bind, Execute, Sync), so
 * the authenticating statement and the status write were parsed, analysed and planned on every
 * call: measured with `BENCH_PGLITE_STATEMENTS=1`, 1.0–1.7 ms per authentication and 1.9 ms per
 * status write, 5.8 of the 7.3 ms the database spent per finished item of the soak
 * (docs/benchmarks.md, fifteenth pass). A named statement keeps its parse tree and, under
 * PostgreSQL's default `plan_cache_mode`, switches to one generic plan when that is no dearer than
 * planning per call (after five executions), exactly as on PostgreSQL.
 *
 * Only the root instance runs them (`namedClient`); statements inside a transaction go through
 * the transaction's own `query`, unnamed. The messages and the result parsing are PGlite's own
 * (`protocol.serialize`, `parse.parseResults`), and the locks are the ones its `query` takes, so a
 * named statement waits for an open transaction exactly as an unnamed one does.
 */
interface Statement {
  name: string;
  /** Parameter type OIDs from the statement's ParameterDescription, to pick each value's serializer. */
  types: number[];
}

const statements = new WeakMap<PGlite, Map<string, Statement>>();
/** Distinct statement texts kept per instance; beyond it a text runs unnamed (the task list's shapes are many but bounded). */
const MAX_STATEMENTS = 2000;
const { serialize } = protocol;

async function exchange(pg: PGlite, message: Uint8Array, options?: QueryOptions) {
  return pg.execProtocolStream(message, { ...options, syncToFs: false });
}

async function prepare(pg: PGlite, byText: Map<string, Statement>, text: string, options?: QueryOptions): Promise<Statement> {
  const name = `loupe_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
  const messages = [];
  try {
    await exchange(pg, serialize.parse({ name, text }), options);
    messages.push(...(await exchange(pg, serialize.describe({ type: 'S', name }), options)));
  } finally {
    messages.push(...(await exchange(pg, serialize.sync(), options)));
  }
  const statement = { name, types: parse.parseDescribeStatementResults(messages) };
  byText.set(text, statement);
  return statement;
}

/**
 * Errors after which the statement is prepared again: 26000, the named statement is gone (a
 * `DEALLOCATE ALL` or `DISCARD ALL` on the session); 0A000, "cached plan must not change result
 * type" (a table it reads changed its columns since it was prepared).
 */
const needsNewStatement = (error: unknown) => ['26000', '0A000'].includes((error as { code?: string } | null)?.code ?? '');

async function forget(pg: PGlite, byText: Map<string, Statement>, text: string, statement: Statement, options?: QueryOptions) {
  byText.delete(text);
  try {
    await exchange(pg, serialize.close({ type: 'S', name: statement.name }), options);
  } finally {
    await exchange(pg, serialize.sync(), options);
  }
}

/**
 * The instance's parsers with a statement's own (drizzle passes its date and interval parsers
 * with every call), merged once per statement's options object: `parseResults` would spread the
 * instance's map, some hundred types with every array type, into a new object on every call, which
 * was a tenth of the embedded soak's CPU (docs/benchmarks.md, fifteenth pass).
 */
const mergedParsers = new WeakMap<object, { base: object; merged: Record<number, unknown> }>();
function parsersFor(pg: PGlite, options?: QueryOptions) {
  const own = options?.parsers;
  if (!own) return pg.parsers;
  let entry = mergedParsers.get(own);
  if (!entry || entry.base !== pg.parsers) mergedParsers.set(own, (entry = { base: pg.parsers, merged: { ...pg.parsers, ...own } }));
  return entry.merged as typeof pg.parsers;
}

type Observer = (text: string, params: unknown[]) => void;
const observers = new WeakMap<PGlite, Set<Observer>>();

/**
 * Calls `observer` with the text and parameters of each named statement this instance runs,
 * until the returned function is called: what `PGlite.query` shows for every other statement
 * (tests that check which statements a request sends watch both).
 */
export function observeNamedStatements(pg: PGlite, observer: Observer): () => void {
  let set = observers.get(pg);
  if (!set) observers.set(pg, (set = new Set()));
  set.add(observer);
  return () => void set.delete(observer);
}

async function runNamed(pg: PGlite, text: string, params: unknown[], options?: QueryOptions): Promise<Results> {
  for (const observer of observers.get(pg) ?? []) observer(text, params);
  let byText = statements.get(pg);
  if (!byText) statements.set(pg, (byText = new Map()));
  const run = async (statement: Statement) => {
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const type = statement.types[i]!;
      const serializer = options?.serializers?.[type] ?? pg.serializers[type];
      return serializer ? serializer(value) : String(value);
    });
    const messages = [];
    try {
      messages.push(...(await exchange(pg, serialize.bind({ statement: statement.name, values }), options)));
      messages.push(...(await exchange(pg, serialize.describe({ type: 'P' }), options)));
      messages.push(...(await exchange(pg, serialize.execute({}), options)));
    } finally {
      messages.push(...(await exchange(pg, serialize.sync(), options)));
    }
    await pg.syncToFs();
    return parse.parseResults(messages, parsersFor(pg, options), options?.parsers ? { ...options, parsers: undefined } : options)[0]!;
  };
  const known = byText.get(text);
  if (known) {
    try {
      return await run(known);
    } catch (error) {
      if (!needsNewStatement(error)) throw error;
      await forget(pg, byText, text, known, options);
    }
  }
  if (byText.size >= MAX_STATEMENTS) return pg.query(text, params, options);
  return run(await prepare(pg, byText, text, options));
}

/**
 * A client for one drizzle statement built on the root PGlite instance: its `query` runs the
 * statement named (above), under the same locks as `PGlite.query`. Anything that is not the
 * root instance (a transaction's client) is returned as it is.
 */
export function namedClient<C>(client: C): C {
  if (!(client instanceof PGlite)) return client;
  const pg = client;
  return {
    query: async (text: string, params: unknown[] = [], options?: QueryOptions) => {
      await pg._checkReady();
      return pg._runExclusiveTransaction(() => pg._runExclusiveQuery(() => runNamed(pg, text, params, options)));
    },
  } as unknown as C;
}

/** Gives a drizzle prepared statement on the root PGlite instance the named client; any other statement is returned untouched. */
export function withNamedClient<T>(statement: T): T {
  const q = statement as { client?: unknown };
  if (q && typeof q === 'object' && q.client) q.client = namedClient(q.client);
  return statement;
}
