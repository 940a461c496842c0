import { createHash } from 'node:crypto';
import { statSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One owner per PGlite data directory, by a liveness lock the operating system keeps for us:
 * the owner listens on a Unix domain socket next to the directory (`<dir>.lock.sock`).
 *
 * - A second process that can connect to the socket knows the owner is alive (a stopped process,
 *   SIGSTOP, still has its socket accepted by the kernel) and refuses to start. Nothing here
 *   depends on time, so the lock never goes stale while its owner lives.
 * - When the owner dies, even by SIGKILL, the kernel closes its socket: a newcomer's connect gets
 *   ECONNREFUSED, and it removes the dead socket file and listens in its place.
 * - The owner checks every `checkEveryMs` that the socket file is still the one it bound (same
 *   device and inode). If not (deleted, or replaced by a racing newcomer), the lock is
 *   compromised and `onCompromised` runs once: the server stops taking writes at once.
 */
export interface DataDirLock {
  path: string;
  /** Stops the self-check, closes the socket and removes its file if it is still ours. */
  release(): Promise<void>;
  /** True once the lock was found compromised. */
  readonly lost: boolean;
}

export class DataDirBusyError extends Error {
  constructor(readonly dir: string) {
    super(`data directory ${dir} is owned by a live process`);
  }
}

/** Unix socket paths are limited to ~107 bytes: a long directory gets a hashed path in the temp folder. */
export function lockSocketPath(dir: string): string {
  const beside = `${dir}.lock.sock`;
  if (Buffer.byteLength(beside) <= 100) return beside;
  return join(tmpdir(), `loupe-${createHash('sha256').update(dir).digest('hex').slice(0, 24)}.lock.sock`);
}

const listen = (server: Server, path: string) =>
  new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve();
    });
  });

/** Resolves true when something accepts a connection on `path` (a live owner). */
const ownerAnswers = (path: string) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const identity = (path: string) => {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
};

export async function acquireDataDirLock(dir: string, options: { checkEveryMs?: number; onCompromised?: () => void } = {}): Promise<DataDirLock> {
  const path = lockSocketPath(dir);
  const server = createServer((socket) => socket.destroy());
  for (let attempt = 0; ; attempt++) {
    try {
      await listen(server, path);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 2) throw error;
      if (await ownerAnswers(path)) throw new DataDirBusyError(dir);
      // The owner is dead (connection refused): its socket file is left over. Take its place.
      try {
        unlinkSync(path);
      } catch {
        // another newcomer removed it first
      }
    }
  }
  const mine = identity(path);
  let lost = false;
  const check = () => {
    if (lost || identity(path) === mine) return;
    lost = true;
    clearInterval(timer);
    options.onCompromised?.();
  };
  const timer = setInterval(check, options.checkEveryMs ?? 1000);
  timer.unref();
  server.unref();
  return {
    path,
    get lost() {
      return lost;
    },
    async release() {
      clearInterval(timer);
      const stillMine = !lost && identity(path) === mine;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (stillMine) {
        try {
          unlinkSync(path);
        } catch {
          // gone already
        }
      }
    },
  };
}
