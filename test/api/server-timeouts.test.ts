import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemStatusListener } from '../../src/context.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, emptyAnswersRecipe, world } from '../tasks/helpers.ts';

// docs/deployment.md, "Server timeouts": the connection timeout closes idle sockets, never one
// whose request the server is still working on.

const IDLE_MS = 400;
/** Longer than the connection timeout, several times over. */
const WORK_MS = 1500;

let t: TestApp;
let port = 0;
/** The task whose status writes take `WORK_MS` (a listener of this app only). */
let slowTask: string | null = null;
const slow: ItemStatusListener = {
  hasWork: (change) => change.taskId === slowTask,
  run: async (_tx, change) => {
    if (change.taskId === slowTask) await new Promise((resolve) => setTimeout(resolve, WORK_MS));
  },
};

beforeAll(async () => {
  t = await createTestApp({ statusListeners: [slow], timeouts: { connectionTimeoutMs: IDLE_MS } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
afterAll(() => t?.close());

/** A raw TCP connection that sends `data`, then waits until the server closes it (or `waitMs` passes). */
async function closedAfter(data: string, waitMs: number): Promise<{ closed: boolean; ms: number; received: string }> {
  const socket: Socket = connect(port, '127.0.0.1');
  const started = Date.now();
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(data);
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  socket.destroy();
  return { closed, ms: Date.now() - started, received };
}

describe('server timeouts', () => {
  it('answers a request that works longer than the connection timeout, and its work is done once', async () => {
    const w = await world(t, 3);
    const annotator = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [annotator.id], recipeId: await emptyAnswersRecipe(t, w) });
    slowTask = task.id;
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${annotator.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'completed' }),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(WORK_MS);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('completed');
    const detail = await t.get(`/api/v1/tasks/${task.id}`, { token: w.manager.token });
    expect(detail.body.progress.done).toBe(1);
  });

  it('still closes a socket that sends nothing, and one that stops halfway through its body', async () => {
    const silent = await closedAfter('', 5000);
    expect(silent.closed).toBe(true);
    expect(silent.ms).toBeGreaterThanOrEqual(IDLE_MS - 50);
    // Signed in, so the server waits for the body it was promised.
    const half = await closedAfter(`POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.admin.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":`, 5000);
    expect(half.closed).toBe(true);
    expect(half.received).toBe('');
  });
});
