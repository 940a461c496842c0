import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { prepared } from '../../src/db/prepared.ts';
import { tasks } from '../../src/task-units/tasks.table.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, world } from '../tasks/helpers.ts';

/**
 * Statements kept by `prepared` map their rows with decoders resolved once per statement
 * (src/db/prepared.ts): every value must come out exactly as drizzle's own mapper gives it.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

describe('the row mapper of kept statements', () => {
  it('gives the same keys, values, types and nulls as drizzle’s mapper', async () => {
    const w = await world(t, 3);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id] });
    const select = () =>
      t.ctx.db
        .select({
          id: tasks.id,
          name: tasks.name,
          allocation: tasks.allocation, // jsonb
          createdAt: tasks.createdAt, // timestamptz → Date
          dueDate: tasks.dueDate, // null here
          archived: tasks.archived,
          itemCount: tasks.itemCount,
          doubled: sql<number>`${tasks.itemCount} * 2`.mapWith(Number),
          asText: sql<string>`${tasks.itemCount}::text`, // no decoder: as the driver gives it
          big: sql`count(*) over ()`, // int8: a string from both drivers
          nothing: sql<string | null>`null::text`.as('nothing'),
        })
        .from(tasks)
        .where(eq(tasks.id, sql.placeholder('id')));
    const expected = await select().prepare('').execute({ id: task.id });
    const kept = prepared(t.ctx.db, `row-mapper test ${Math.random()}`, () => select().prepare(''));
    expect((kept as unknown as { customResultMapper?: unknown }).customResultMapper).toBeTypeOf('function');
    const rows = await kept.execute({ id: task.id });
    expect(rows).toEqual(expected);
    const [row] = rows;
    expect(Object.keys(row!)).toEqual(['id', 'name', 'allocation', 'createdAt', 'dueDate', 'archived', 'itemCount', 'doubled', 'asText', 'big', 'nothing']);
    expect(row!.createdAt).toBeInstanceOf(Date);
    expect(row!.allocation).toMatchObject({ method: expect.any(String) });
    expect(row!.dueDate).toBeNull();
    expect(row!.nothing).toBeNull();
    expect(row!.doubled).toBe(row!.itemCount * 2);
    expect(row!.asText).toBe(String(row!.itemCount));
    expect(row!.itemCount).toBe(3);
    // No rows: an empty list.
    expect(await kept.execute({ id: '00000000-0000-4000-8000-000000000000' })).toEqual([]);
  });

  it('leaves selects with nested fields to drizzle', async () => {
    const kept = prepared(t.ctx.db, `row-mapper nested ${Math.random()}`, () =>
      t.ctx.db.select({ task: { id: tasks.id, name: tasks.name } }).from(tasks).limit(1).prepare(''),
    );
    expect((kept as unknown as { customResultMapper?: unknown }).customResultMapper).toBeUndefined();
    const rows = await kept.execute();
    expect(rows[0]?.task).toEqual({ id: expect.any(String), name: expect.any(String) });
  });
});
