import { readFile } from 'node:fs/promises';

/**
 * Summarises a V8 CPU profile (`BENCH_CPU_PROFILE`, `node --cpu-prof`): the share of samples
 * by where the time went (idle, garbage collection, the database driver, Fastify, zod, drizzle,
 * node:http, our code), then the top functions by self time.
 * Usage: `tsx bench/profile-summary.ts FILE [top]`.
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/profile-summary.ts FILE [top]');
  process.exit(1);
}
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const area = (url: string, name: string) => {
  if (name === '(idle)') return 'idle (waiting for the database or clients)';
  if (name === '(garbage collector)') return 'garbage collector';
  if (name === '(program)') return 'V8/native (program)';
  if (url.includes('node_modules/pg') || url.includes('pg-protocol') || url.includes('pg-pool')) return 'pg driver';
  if (url.includes('node_modules/fastify-type-provider-zod') || url.includes('node_modules/zod')) return 'zod (validation, serialization)';
  if (url.includes('node_modules/drizzle-orm')) return 'drizzle';
  if (url.includes('node_modules/fastify') || url.includes('node_modules/@fastify') || url.includes('find-my-way') || url.includes('light-my-request') || url.includes('avvio')) return 'fastify';
  if (url.includes('node_modules/@electric-sql/pglite')) return 'pglite';
  if (url.startsWith('wasm://')) return 'pglite (WebAssembly: the database)';
  if (url.startsWith('node:') || url === '') return `node core${name ? '' : ''}`;
  if (url.includes('/src/')) return 'loupe src';
  if (url.includes('/bench/')) return 'bench clients';
  return 'other';
};

const self = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
});

const areas = new Map<string, number>();
const fns = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  const a = area(n.callFrame.url, n.callFrame.functionName);
  areas.set(a, (areas.get(a) ?? 0) + t);
  const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|bench)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + t);
}
const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
console.log('\nby area (self time)');
for (const [a, t] of [...areas].sort((x, y) => y[1] - x[1])) console.log(`  ${pct(t)}  ${a}`);
console.log(`\ntop ${topArg ?? 25} functions (self time)`);
for (const [f, t] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, Number(topArg ?? 25))) console.log(`  ${pct(t)}  ${f}`);

// Inclusive time of Loupe's own functions (each sample counted once per function on its stack).
const inclusive = new Map<string, number>();
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const seen = new Set<string>();
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
    const f = byId.get(n)!.callFrame;
    if (!f.url.includes('/src/') || f.url.includes('node_modules')) continue;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/src\//, 'src/')}:${f.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
  }
});
console.log(`\ntop ${topArg ?? 25} Loupe functions (inclusive time)`);
for (const [f, t] of [...inclusive].sort((x, y) => y[1] - x[1]).slice(0, Number(topArg ?? 25))) console.log(`  ${pct(t)}  ${f}`);
