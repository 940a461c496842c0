import { performance } from 'node:perf_hooks';
import type { PGlite } from '@electric-sql/pglite';

/**
 * Where the embedded database's time goes, by statement (`BENCH_PGLITE_STATEMENTS=1`).
 *
 * PGlite runs in this process's one thread: every protocol exchange is one synchronous call into
 * its WebAssembly (`execProtocolRawSync`), so the wall time of that call is the database's CPU
 * for it. This wraps the call, reads the statement text from the Parse ('P') or Query ('Q')
 * message it carries, or for a named statement from the Parse its Bind ('B') names, and charges
 * the call and the exchanges that follow it (Describe, Execute, Sync) to that text. No statistics extension is needed, and the figures are the same clock as the
 * process's CPU per item in the soak's facts.
 */
export function timePgliteStatements(pglite: PGlite) {
  const byText = new Map<string, { calls: number; ms: number }>();
  let current = '(none)';
  let totalMs = 0;
  const started = performance.now();
  const target = pglite as unknown as { execProtocolRawSync(message: Uint8Array): Uint8Array };
  const original = target.execProtocolRawSync.bind(pglite);
  const decoder = new TextDecoder();
  // A named statement (src/db/pglite-named.ts) carries its text in its one Parse; later calls only Bind to its name.
  const textOfName = new Map<string, string>();
  const cString = (at: number) => {
    const end = message.indexOf(0, at);
    return { value: decoder.decode(message.subarray(at, end)), next: end + 1 };
  };
  let message: Uint8Array = new Uint8Array(0);
  target.execProtocolRawSync = (sent: Uint8Array) => {
    message = sent;
    const kind = message[0];
    let calls = false;
    if (kind === 0x50) {
      // P: int32 length, statement name\0, query\0 …
      const name = cString(5);
      current = cString(name.next).value.replace(/\s+/g, ' ').trim();
      if (name.value) textOfName.set(name.value, current);
      else calls = true;
    } else if (kind === 0x51) {
      // Q: int32 length, query\0.
      current = cString(5).value.replace(/\s+/g, ' ').trim();
      calls = true;
    } else if (kind === 0x42) {
      // B: int32 length, portal\0, statement name\0 …: a named statement's call starts here.
      const name = cString(cString(5).next).value;
      if (name) {
        current = textOfName.get(name) ?? `(statement ${name})`;
        calls = true;
      }
    }
    const t0 = performance.now();
    try {
      return original(message);
    } finally {
      const ms = performance.now() - t0;
      totalMs += ms;
      const entry = byText.get(current) ?? { calls: 0, ms: 0 };
      // One call per unnamed Parse, simple Query, or Bind to a named statement (its Parse is charged to it, uncounted).
      if (calls) entry.calls++;
      entry.ms += ms;
      byText.set(current, entry);
    }
  };
  return {
    /** The statements by total time, and the database's share of the wall time since the wrap. */
    report(top = 15): string {
      const wall = performance.now() - started;
      const lines = [...byText]
        .sort((a, b) => b[1].ms - a[1].ms)
        .slice(0, top)
        .map(([text, e]) => `  ${((100 * e.ms) / totalMs).toFixed(1).padStart(5)} %  ${String(e.calls).padStart(8)} calls  ${(e.ms / Math.max(1, e.calls)).toFixed(3).padStart(7)} ms/call  ${text.slice(0, 140)}`);
      return [`PGlite statements: ${(totalMs / 1000).toFixed(1)} s inside the database of ${(wall / 1000).toFixed(1)} s wall (${((100 * totalMs) / wall).toFixed(0)} %)`, ...lines].join('\n');
    },
  };
}
