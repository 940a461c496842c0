import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { DomainError } from '../core/errors.ts';
import { IMPORT_MAX_BYTES } from './import-parsers.ts';

/**
 * Receiving an import before importing it (see `docs/imports.md`). A slow or stalled uploader
 * must never hold the database: the body is first written to a staging file, bounded in time
 * and size, and only a complete body is imported, in a transaction that reads from local disk.
 */
export type { UploadLimits } from '../context.ts';
import type { UploadLimits } from '../context.ts';

export const defaultUploadLimits: UploadLimits = {
  idleTimeoutMs: 30_000,
  totalTimeoutMs: 15 * 60_000,
  perUser: 8,
  jobThresholdBytes: 64 * 1024 ** 2,
  databaseSlots: 4,
  stagingDir: join(tmpdir(), 'loupe-uploads'),
};

export interface StagedUpload {
  path: string;
  bytes: number;
  /** A fresh stream over the staged bytes. */
  open(): Readable;
  /** Deletes the staging file (idempotent). */
  discard(): Promise<void>;
}

/**
 * Writes `source` to a new staging file. Fails with 408 `upload_timeout` when the sender goes
 * quiet for `idleTimeoutMs` or the whole upload outlasts `totalTimeoutMs`, with 413 past
 * `IMPORT_MAX_BYTES`; on any failure the file is gone and `source` destroyed.
 */
export async function stageUpload(source: Readable, limits: UploadLimits): Promise<StagedUpload> {
  await mkdir(limits.stagingDir, { recursive: true });
  const dir = await mkdtemp(join(limits.stagingDir, 'up-'));
  const path = join(dir, 'body');
  const discard = () => rm(dir, { recursive: true, force: true });
  let bytes = 0;
  let idle: NodeJS.Timeout | undefined;
  let failure: DomainError | null = null;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      bytes += chunk.length;
      armIdle();
      if (bytes > IMPORT_MAX_BYTES) return callback(new DomainError('payload_too_large', `An import body is at most ${IMPORT_MAX_BYTES} bytes`));
      callback(null, chunk);
    },
  });
  // The sender is cut off, not its socket: the 408 still reaches a client that reads it.
  const cut = (why: string) => {
    failure = new DomainError('upload_timeout', why);
    source.unpipe(meter);
    source.pause();
    meter.destroy(failure);
  };
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => cut(`The upload sent nothing for ${limits.idleTimeoutMs} ms`), limits.idleTimeoutMs);
  };
  const total = setTimeout(() => cut(`The upload took longer than ${limits.totalTimeoutMs} ms`), limits.totalTimeoutMs);
  armIdle();
  try {
    source.on('error', (error) => meter.destroy(error));
    source.pipe(meter);
    await pipeline(meter, createWriteStream(path));
  } catch (error) {
    await discard();
    if (failure) throw failure;
    if (error instanceof DomainError) throw error;
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof DomainError) throw cause;
    throw new DomainError('invalid_request', `The upload broke off: ${(error as Error).message}`);
  } finally {
    clearTimeout(idle);
    clearTimeout(total);
  }
  const size = (await stat(path)).size;
  return { path, bytes: size, open: () => createReadStream(path), discard };
}

/** A stream over a file staged earlier (the background import job). */
export function openStaged(path: string): StagedUpload {
  const dir = join(path, '..');
  return { path, bytes: 0, open: () => createReadStream(path), discard: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Per-user count of uploads in flight. `enter` refuses past the limit with 429
 * `too_many_uploads`; the returned function leaves (call it once, in `finally`).
 */
export class UploadGate {
  readonly #inFlight = new Map<string, number>();
  constructor(private readonly limit: () => number) {}

  enter(userId: string): () => void {
    const now = this.#inFlight.get(userId) ?? 0;
    const limit = this.limit();
    if (now >= limit) {
      throw new DomainError('too_many_uploads', `You have ${now} uploads in progress; at most ${limit} at once`, { retryAfter: 5 });
    }
    this.#inFlight.set(userId, now + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const n = (this.#inFlight.get(userId) ?? 1) - 1;
      if (n <= 0) this.#inFlight.delete(userId);
      else this.#inFlight.set(userId, n);
    };
  }
}

/** A counting semaphore: imports writing to the database at once, so they never take the whole pool. */
export class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];
  constructor(size: number) {
    this.#free = Math.max(1, size);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}
