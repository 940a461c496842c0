import { performance } from 'node:perf_hooks';
import type { PGlite } from '@electric-sql/pglite';

/**
 * Where the embedded database's time goes, by statement (`BENCH_PGLITE_STATEMENTS=1`).
 *
 * PGlite runs in this process's one thread: every protocol exchange is one synchronous call into
 * its WebAssembly (`execProtocolRawSync`), so the wall time of that call is the database's CPU
 * for it. This wraps the call, reads the statement text from the Parse ('P') or Query ('Q')
 * message it carries, and charges the call (and the Bind/Execute exchange that follows a Parse)
 * to that text. No statistics extension is needed, and the figures are the same clock as the
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
  target.execProtocolRawSync = (message: Uint8Array) => {
    const kind = message[0];
    if (kind === 0x50 || kind === 0x51) {
      // P: int32 length, statement name\0, query\0 …; Q: int32 length, query\0.
      let at = 5;
      if (kind === 0x50) at = message.indexOf(0, at) + 1;
      const end = message.indexOf(0, at);
      current = decoder.decode(message.subarray(at, end)).replace(/\s+/g, ' ').trim();
    }
    const t0 = performance.now();
    try {
      return original(message);
    } finally {
      const ms = performance.now() - t0;
      totalMs += ms;
      const entry = byText.get(current) ?? { calls: 0, ms: 0 };
      // A Parse exchange and its Bind/Execute exchange are one statement call: count calls on Parse (or Query) only.
      if (kind === 0x50 || kind === 0x51) entry.calls++;
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
