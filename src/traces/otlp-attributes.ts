/**
 * OTLP `AnyValue` / `KeyValue` lists as plain JSON, the same for the protobuf and the JSON
 * encodings (protobufjs' `toObject` and OTLP JSON share field names). See docs/traces.md.
 */
export interface OtlpKeyValue {
  key?: string;
  value?: OtlpAnyValue | null;
}
export interface OtlpAnyValue {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: string | number | null;
  doubleValue?: number | string | null;
  arrayValue?: { values?: OtlpAnyValue[] | null } | null;
  kvlistValue?: { values?: OtlpKeyValue[] | null } | null;
  bytesValue?: string | null;
}

const MAX_DEPTH = 16;

/** An int64 as a JS number when it fits exactly, else its decimal string. */
function int64(v: string | number): number | string {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isSafeInteger(n) ? n : String(v);
}

export function anyValue(v: OtlpAnyValue | null | undefined, depth = 0): unknown {
  if (!v || depth > MAX_DEPTH) return null;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return int64(v.intValue);
  if (v.doubleValue != null) return typeof v.doubleValue === 'number' ? v.doubleValue : Number(v.doubleValue);
  if (v.arrayValue != null) return (v.arrayValue.values ?? []).map((x) => anyValue(x, depth + 1));
  if (v.kvlistValue != null) return flatAttributes(v.kvlistValue.values, depth + 1);
  if (v.bytesValue != null) return v.bytesValue; // base64 in both encodings
  return null;
}

/** Key → value, keys as sent (dotted). */
export function flatAttributes(list: OtlpKeyValue[] | null | undefined, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) {
    if (typeof kv.key !== 'string') continue;
    out[kv.key] = anyValue(kv.value, depth);
  }
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Unfolds dotted keys into nested objects (`{"llm.model_name": "x"}` → `{llm: {model_name: "x"}}`),
 * so the filter language's nested paths (`attributes.llm.model_name`) address them. A key that
 * would clash with another (`a` = 1 beside `a.b` = 2) stays flat at the top level.
 */
export function unfold(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const clashes: Array<[string, unknown]> = [];
  // Shorter keys first, so `a` is placed before `a.b` and the clash is found on the longer key.
  const keys = Object.keys(flat).sort((a, b) => a.split('.').length - b.split('.').length);
  for (const key of keys) {
    const value = flat[key];
    const parts = key.split('.');
    if (parts.some((p) => p === '') || parts.length > 16) {
      clashes.push([key, value]);
      continue;
    }
    let node = out;
    let ok = true;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i]!;
      const next = node[part];
      if (next === undefined) node = node[part] = {} as Record<string, unknown>;
      else if (isPlainObject(next) && !Object.hasOwn(flat, parts.slice(0, i + 1).join('.'))) node = next;
      else {
        ok = false;
        break;
      }
    }
    const leaf = parts[parts.length - 1]!;
    if (ok && node[leaf] === undefined) node[leaf] = value;
    else clashes.push([key, value]);
  }
  for (const [key, value] of clashes) if (out[key] === undefined) out[key] = value;
  return out;
}
