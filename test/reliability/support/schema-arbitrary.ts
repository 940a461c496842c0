import fc from 'fast-check';

/** A JSON Schema node as @fastify/swagger emits it from our zod schemas (OpenAPI 3.1). */
export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  $ref?: string;
  [key: string]: unknown;
};

/** Strings an attacker or a broken client sends. */
export const hostileStrings = [
  "'; drop table items; --",
  "' or '1'='1",
  '") or 1=1 --',
  '$1',
  '\u0000',
  '\\',
  '%',
  '_',
  '../../../etc/passwd',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '𝕃𝕠𝕦𝕡𝕖 🧪',
  '1e309',
  '-0',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'x'.repeat(10_000),
];

export const hostileString = () => fc.oneof(fc.constantFrom(...hostileStrings), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));

const anyJson = () =>
  fc.oneof(
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: hostileString() },
    { weight: 1, arbitrary: fc.constantFrom(null, -1, 0, 2 ** 31, -(2 ** 53), 1e308, 0.5, true, [], {}) },
  );

/**
 * Values for a schema: usually shaped like it (so requests get past the first check and reach
 * deeper code), sometimes anything at all. `ids` are real object ids of the project, used for
 * uuid-formatted strings half of the time.
 */
export function arbitraryFor(schema: JsonSchema | undefined, ids: string[], depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return anyJson();
  const shaped = shapedFor(schema, ids, depth);
  return fc.oneof({ weight: 6, arbitrary: shaped }, { weight: 1, arbitrary: anyJson() });
}

function shapedFor(schema: JsonSchema, ids: string[], depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (union?.length) return fc.oneof(...union.map((s) => arbitraryFor(s, ids, depth + 1)));
  if (schema.allOf?.length) return arbitraryFor(schema.allOf[0], ids, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const props = Object.entries(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of props) record[k] = arbitraryFor(v, ids, depth + 1);
      const base = fc.record(record, { requiredKeys: props.map(([k]) => k).filter((k) => required.has(k)) });
      // Sometimes an extra key a strict schema must refuse.
      return fc.oneof(
        { weight: 5, arbitrary: base },
        { weight: 1, arbitrary: fc.tuple(base, hostileString(), anyJson()).map(([o, k, v]) => ({ ...(o as object), [k]: v })) },
      );
    }
    case 'array':
      return fc.array(arbitraryFor(schema.items, ids, depth + 1), { maxLength: depth === 0 ? 8 : 3 });
    case 'string':
      if (schema.format === 'uuid' && ids.length) return fc.oneof(fc.constantFrom(...ids), fc.uuid(), hostileString());
      if (schema.format === 'date-time') return fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), hostileString());
      if (schema.format === 'email') return fc.oneof(fc.emailAddress(), hostileString());
      return fc.oneof(fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 50, 50) }), hostileString());
    case 'integer':
      return fc.oneof(fc.integer({ min: schema.minimum ?? -10, max: Math.min(schema.maximum ?? 1000, 1000) }), fc.constantFrom(-1, 0, 2 ** 31, Number.MAX_SAFE_INTEGER));
    case 'number':
      return fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(-1, 0, 0.5, 1e308));
    case 'boolean':
      return fc.boolean();
    default:
      return anyJson();
  }
}

/** A query-string value: the schema's shape as text, or hostile text. */
export function queryValueFor(schema: JsonSchema | undefined, ids: string[]): fc.Arbitrary<string | undefined> {
  const shaped = arbitraryFor(schema, ids).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 4, arbitrary: shaped }, { weight: 1, arbitrary: hostileString() });
}

/** Resolves `#/components/schemas/...` references against the document. */
export function deref(doc: { components?: { schemas?: Record<string, JsonSchema> } }, schema: JsonSchema | undefined, seen = 0): JsonSchema | undefined {
  if (!schema || seen > 20) return schema;
  if (schema.$ref) return deref(doc, doc.components?.schemas?.[schema.$ref.split('/').pop()!], seen + 1);
  const out: JsonSchema = { ...schema };
  if (schema.properties) out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, deref(doc, v, seen + 1)!]));
  if (schema.items) out.items = deref(doc, schema.items, seen + 1);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) if (schema[key]) out[key] = schema[key]!.map((s) => deref(doc, s, seen + 1)!);
  return out;
}
