import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../../src/core/errors.ts';
import { statusOf } from '../../src/api/problem.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
/** Rows of the table in docs/errors.md: | `code` | status | meaning | */
const documented = new Map([...doc.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1]!, Number(m[2])]));

describe('the error catalogue', () => {
  it('documents every code in docs/errors.md with its status', () => {
    for (const code of errorCodes) expect(documented.get(code), code).toBe(statusOf[code]);
  });

  it('documents no code that the catalogue lacks', () => {
    expect([...documented.keys()].filter((c) => !(errorCodes as readonly string[]).includes(c))).toEqual([]);
  });
});
