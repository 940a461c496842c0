/** Prints rows as an aligned table, or as JSON with `--json` (for scripts and `jq`). */
export function print(rows: Record<string, unknown>[] | Record<string, unknown>, json: boolean | undefined, columns?: string[]) {
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const list = Array.isArray(rows) ? rows : [rows];
  if (list.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cols = columns ?? Object.keys(list[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.min(60, Math.max(c.length, ...list.map((r) => cell(r[c]).length))));
  const line = (values: string[]) => values.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${line(cols)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of list) process.stdout.write(`${line(cols.map((c) => cell(r[c])))}\n`);
}
