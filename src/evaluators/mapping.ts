import { createHash } from 'node:crypto';

/**
 * Column mapping: which field of a span or an item feeds which evaluator variable
 * (docs/evaluators.md). A path is dotted; attribute keys contain dots themselves
 * (`attributes.llm.model_name`), so at each level the longest key that matches wins.
 */
export function readPath(source: unknown, path: string): unknown {
  const parts = path.split('.');
  let current: unknown = source;
  let i = 0;
  while (i < parts.length) {
    if (current === null || typeof current !== 'object') return undefined;
    const record = current as Record<string, unknown>;
    let next: unknown = undefined;
    let used = 0;
    for (let j = parts.length; j > i; j--) {
      const key = parts.slice(i, j).join('.');
      if (Object.prototype.hasOwnProperty.call(record, key)) {
        next = record[key];
        used = j - i;
        break;
      }
    }
    if (!used) return undefined;
    current = next;
    i += used;
  }
  return current;
}

/** Default mapping of spans: OpenInference's input and output values. */
export const defaultSpanMapping: Record<string, string> = {
  input: 'input',
  output: 'output',
  latencyMs: 'latencyMs',
};

/** Default mapping of items (test cases): the last user turn, the last assistant turn, `payload.expectedOutput`. */
export const defaultItemMapping: Record<string, string> = {
  input: 'input',
  output: 'output',
  expected: 'expected',
  latencyMs: 'latencyMs',
};

/** The variables of one subject: the defaults, overridden by the task's mapping. */
export function variablesOf(fields: Record<string, unknown>, defaults: Record<string, string>, mapping: Record<string, string>) {
  const merged = { ...defaults, ...mapping };
  const out: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(merged)) out[name] = readPath(fields, path);
  return out;
}

/** `{{name}}` placeholders filled from the variables; unknown names become empty strings. */
export function renderTemplate(template: string, variables: Record<string, unknown>) {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => {
    const value = name in variables ? variables[name] : readPath(variables, name);
    return value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/** Deterministic sampling: the same task and subject always land on the same side of the rate. */
export function sampled(taskId: string, subjectKey: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  const h = createHash('sha256').update(`${taskId}:${subjectKey}`).digest().readUInt32BE(0);
  return h / 0x100000000 < rate;
}
