import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * One process: waits for the agreed instant (so every process reaches the key file within the
 * same millisecond), reads the webhook secret key and prints its digest, or the error.
 */
const script = (at: number) => `
import { createHash } from 'node:crypto';
import { secretKey } from './src/webhooks/secret-box.ts';
while (Date.now() < ${at});
try { console.log('key ' + createHash('sha256').update(secretKey()).digest('hex')); }
catch (e) { console.log('error ' + e.message); }
`;

function run(dataDir: string, at: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(at)], {
      cwd: root,
      env: { ...process.env, LOUPE_DATA_DIR: dataDir, LOUPE_SECRET_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', () => resolve(out.trim()));
  });
}

describe('the webhook secret key file, made by several processes starting at once (docs/deployment.md)', () => {
  it('is written once, whole, and every process reads that one key', async () => {
    for (let round = 0; round < 4; round++) {
      const dir = mkdtempSync(`${tmpdir()}/loupe-key-`);
      dirs.push(dir);
      const at = Date.now() + 4000;
      const outs = await Promise.all(Array.from({ length: 6 }, () => run(dir, at)));
      const stored = Buffer.from(readFileSync(`${dir}/secret.key`, 'utf8').trim(), 'base64');
      expect(stored).toHaveLength(32);
      const { createHash } = await import('node:crypto');
      const expected = `key ${createHash('sha256').update(stored).digest('hex')}`;
      expect(outs).toEqual(outs.map(() => expected));
    }
  }, 60_000);
});
