import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Encrypts webhook secrets at rest (AES-256-GCM). The key is `LOUPE_SECRET_KEY` (any string; its
 * SHA-256 is the key), or else a random key kept in `<LOUPE_DATA_DIR>/secret.key` (mode 0600,
 * made on first use). With an in-memory data directory and no key set, a per-process key is used:
 * nothing outlives the process then anyway. docs/webhooks.md.
 */
let cached: Buffer | undefined;

export function secretKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  if (cached) return cached;
  if (env.LOUPE_SECRET_KEY) return (cached = createHash('sha256').update(env.LOUPE_SECRET_KEY).digest());
  const dataDir = env.LOUPE_DATA_DIR ?? './.loupe/data';
  if (dataDir.startsWith('memory://')) return (cached = randomBytes(32));
  const file = join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    // Several processes may start on one directory at once (docs/deployment.md): the key is
    // written whole under a name of this process's own, then linked into place, which fails if
    // another process linked its key first. Every process then reads the one key that won;
    // none can read a file another is still writing.
    const mine = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(mine, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    try {
      linkSync(mine, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(mine);
    }
  }
  chmodSync(file, 0o600);
  return (cached = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
}

/** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
export function seal(plain: string, key = secretKey()): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function open(sealed: string, key = secretKey()): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('Not a sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
