import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
const sources = walk(join(root, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => relative(root, f));
const moduleOf = (file: string) => file.split('/')[1]!;

/** Table name → owning module, from the `pgTable('name', …)` calls of every `*.table.ts`. */
function tableOwners(): Map<string, string> {
  const owners = new Map<string, string>();
  for (const file of sources.filter((f) => f.endsWith('.table.ts'))) {
    for (const m of readFileSync(join(root, file), 'utf8').matchAll(/pgTable\(\s*'([a-z_]+)'/g)) owners.set(m[1]!, moduleOf(file));
  }
  return owners;
}

/** For each file, the other modules' tables its SQL text reads or writes (`from|join|update|into <table>`), comments left out. */
function foreignTablesInSql(owners: Map<string, string>): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const file of sources.filter((f) => !f.endsWith('.table.ts'))) {
    const code = readFileSync(join(root, file), 'utf8').split('\n').filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line)).join('\n');
    const tables = new Set<string>();
    for (const m of code.matchAll(/\b(?:from|join|update|into)\s+([a-z_]+)\b/g)) {
      const owner = owners.get(m[1]!);
      if (owner && owner !== moduleOf(file)) tables.add(m[1]!);
    }
    if (tables.size) found[file] = [...tables].sort();
  }
  return found;
}

describe('SQL text across modules', () => {
  it('names another module’s tables only in the files eslint.config.js lists, each with its reason', async () => {
    const { rawSqlAcrossModules } = (await import(new URL('../../eslint.config.js', import.meta.url).href)) as { rawSqlAcrossModules: Record<string, string> };
    const owners = tableOwners();
    expect(owners.get('task_items')).toBe('task-units');
    expect(owners.size).toBeGreaterThan(30);
    const found = foreignTablesInSql(owners);
    // The scan sees what it must: the claim reads units and items.
    expect(found['src/assignments/claim.ts']).toEqual(expect.arrayContaining(['items', 'task_items']));
    const unlisted = Object.keys(found).filter((file) => !(file in rawSqlAcrossModules));
    expect(Object.fromEntries(unlisted.map((f) => [f, found[f]]))).toEqual({});
    // No stale entries: every listed file still needs its exception.
    expect(Object.keys(rawSqlAcrossModules).filter((file) => !(file in found))).toEqual([]);
  });
});
