import fastJsonStringify from 'fast-json-stringify';
import { z } from 'zod';

/**
 * A route's reply serializer compiled from the same zod schema the route declares: the zod
 * schema's JSON Schema (output side, dates as `date-time` strings) through fast-json-stringify.
 * It writes the same JSON as the zod provider's serializer (`JSON.stringify` of the encoded
 * value; pinned by test/tasks/task-list.test.ts), without validating each value on the way out: for a 50-row task list page that validation and
 * the generic `JSON.stringify` were ~0.5 ms of the request (docs/benchmarks.md). Use it on hot
 * read routes whose replies are built by our own code from typed rows.
 */
export const compiledSerializer = ({ schema }: { schema: unknown }): ((data: unknown) => string) => {
  const json = z.toJSONSchema(schema as z.ZodType, {
    target: 'draft-7',
    io: 'output',
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema._zod.def.type === 'date') Object.assign(ctx.jsonSchema, { type: 'string', format: 'date-time' });
      // fast-json-stringify writes required properties first; without `required` it keeps the
      // schema's order and leaves out undefined values, as `JSON.stringify` of zod's output does.
      delete ctx.jsonSchema.required;
    },
  });
  return fastJsonStringify(json as Parameters<typeof fastJsonStringify>[0]);
};
