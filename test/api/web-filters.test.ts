import { describe, expect, it } from 'vitest';
import { filterOptions } from '../../web/src/features/tasks/filter-options.ts';
import { listTasksQuery } from '../../src/tasks/tasks.schema.ts';

describe('the web app’s task filters', () => {
  it('offer exactly the task types the API accepts', () => {
    for (const type of filterOptions.type) expect([type, listTasksQuery.safeParse({ type }).success]).toEqual([type, true]);
    expect(listTasksQuery.safeParse({ type: 'no-such-type' }).success).toBe(false);
  });
});
