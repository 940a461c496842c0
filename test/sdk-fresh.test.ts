import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { liveOpenApiDocument } from '../scripts/generate-sdk.ts';
import { describeProblem, LoupeError, toLoupeError, unwrap } from '../sdk/index.ts';

describe('sdk/', () => {
  it('holds the OpenAPI document the server serves now (run `npm run sdk:generate` when this fails)', async () => {
    const committed = await readFile(new URL('../sdk/openapi.json', import.meta.url), 'utf8');
    const live = await liveOpenApiDocument();
    expect(JSON.parse(committed)).toEqual(JSON.parse(live));
  });

  it('turns a problem document into a readable error that keeps its code and status', () => {
    const response = new Response(null, { status: 409, statusText: 'Conflict' });
    const error = toLoupeError({ type: '/docs/errors#task_locked', title: 'Conflict', status: 409, detail: 'The task is locked', code: 'task_locked' }, response);
    expect(error).toBeInstanceOf(LoupeError);
    expect(error.message).toBe('Conflict: The task is locked (task_locked)');
    expect(error.status).toBe(409);
    expect(error.code).toBe('task_locked');
  });

  it('describes a body that is not a problem document by its HTTP status', () => {
    const error = toLoupeError('<html>Bad gateway</html>', new Response(null, { status: 502, statusText: 'Bad Gateway' }));
    expect(error.message).toBe('HTTP 502: <html>Bad gateway</html>');
    expect(describeProblem({ status: 422, title: 'Unprocessable Content', detail: 'Bad shape', errors: [{ path: ['shapes', 0], message: 'outside the image' }] }))
      .toBe('Unprocessable Content: Bad shape — shapes.0: outside the image');
  });

  it('unwrap returns the data of a successful call and throws on a failed one', () => {
    expect(unwrap({ data: { ok: 1 }, response: new Response(null, { status: 200 }) })).toEqual({ ok: 1 });
    expect(() => unwrap({ error: { status: 404, title: 'Not Found', detail: 'No task', code: 'not_found' }, response: new Response(null, { status: 404 }) }))
      .toThrow('Not Found: No task (not_found)');
  });
});
