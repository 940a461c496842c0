import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The README's "Module order" block, one entry per line: the names before the description. */
function readmeLayers(): string[][] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Module order'));
  const block = section.slice(section.indexOf('```\n') + 4, section.indexOf('\n```', section.indexOf('```\n') + 4));
  return block.split('\n').map((line) => line.split(/\s{2,}/)[0]!.split(', ').map((name) => name.trim()));
}

describe('the module order', () => {
  it('is drawn in the README exactly as eslint.config.js enforces it', async () => {
    const config = (await import(new URL('../../eslint.config.js', import.meta.url).href)) as { layers: string[][] };
    expect(config.layers.length).toBeGreaterThan(10);
    expect(readmeLayers()).toEqual(config.layers);
  });
});
