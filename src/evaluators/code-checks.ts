import vm from 'node:vm';
import { Ajv, type ValidateFunction } from 'ajv';
import { ruleBroken } from '../core/errors.ts';
import type { CodeCheck } from './evaluators.table.ts';

/** What one evaluator says about one span or item. */
export interface Verdict {
  label: string;
  score: number;
  explanation: string;
}

/** The variables a check reads: `output` is the value under test (docs/evaluators.md, "Column mapping"). */
export interface CheckInput {
  output: unknown;
  expected?: unknown;
  latencyMs?: number | null;
}

export const MAX_REGEX_LENGTH = 500;
export const REGEX_TIMEOUT_MS = 50;
/** Longer values are cut before a regex runs, which bounds its work together with the timeout. */
export const MAX_REGEX_INPUT = 100_000;

const pass = (explanation: string): Verdict => ({ label: 'pass', score: 1, explanation });
const fail = (explanation: string): Verdict => ({ label: 'fail', score: 0, explanation });

export const asText = (value: unknown): string => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

const ajv = new Ajv({ allErrors: false, strict: false });
const schemaCache = new WeakMap<object, ValidateFunction>();

// One shared context: a regex runs inside it with a hard timeout, which V8 enforces even in the
// middle of catastrophic backtracking (the regex engine checks for interrupts).
const regexContext = vm.createContext({ input: '', re: /$/ });
const regexScript = new vm.Script('re.test(input)');

/**
 * Checks an evaluator's parameters when it is created or changed (422 `validation_failed`),
 * so a run never meets a pattern that does not compile or a schema ajv refuses.
 */
export function validateCheckParams(check: CodeCheck, params: Record<string, unknown>) {
  switch (check) {
    case 'regex': {
      const pattern = params.pattern;
      if (typeof pattern !== 'string' || !pattern) throw ruleBroken('A regex check needs params.pattern', { field: 'params.pattern' });
      if (pattern.length > MAX_REGEX_LENGTH) throw ruleBroken(`A pattern is at most ${MAX_REGEX_LENGTH} characters`, { field: 'params.pattern' });
      try {
        new RegExp(pattern, typeof params.flags === 'string' ? params.flags.replace(/[gy]/g, '') : '');
      } catch (error) {
        throw ruleBroken(`The pattern does not compile: ${(error as Error).message}`, { field: 'params.pattern' });
      }
      return;
    }
    case 'contains':
      if (typeof params.value !== 'string' && !(Array.isArray(params.values) && params.values.every((v) => typeof v === 'string') && params.values.length)) {
        throw ruleBroken('A contains check needs params.value (a string) or params.values (strings)', { field: 'params' });
      }
      return;
    case 'json_schema':
      if (!params.schema || typeof params.schema !== 'object') throw ruleBroken('A json_schema check needs params.schema', { field: 'params.schema' });
      try {
        ajv.compile(params.schema as object);
      } catch (error) {
        throw ruleBroken(`The JSON Schema is invalid: ${(error as Error).message}`, { field: 'params.schema' });
      }
      return;
    case 'length':
      if (typeof params.min !== 'number' && typeof params.max !== 'number') throw ruleBroken('A length check needs params.min or params.max', { field: 'params' });
      return;
    case 'latency':
      if (typeof params.maxMs !== 'number' || params.maxMs <= 0) throw ruleBroken('A latency check needs params.maxMs > 0', { field: 'params.maxMs' });
      return;
    case 'exact_match':
    case 'json_valid':
      return;
  }
}

/** Runs one built-in check. Throws when the check cannot decide (a regex timeout, no latency). */
export function runCodeCheck(check: CodeCheck, params: Record<string, unknown>, input: CheckInput): Verdict {
  const caseSensitive = params.caseSensitive !== false;
  const norm = (s: string) => {
    const t = params.trim === false ? s : s.trim();
    return caseSensitive ? t : t.toLowerCase();
  };
  const output = asText(input.output);
  switch (check) {
    case 'exact_match': {
      const expected = asText(params.expected ?? input.expected);
      return norm(output) === norm(expected) ? pass('The output equals the expected value') : fail(`Expected ${JSON.stringify(expected.slice(0, 200))}, got ${JSON.stringify(output.slice(0, 200))}`);
    }
    case 'contains': {
      const values = typeof params.value === 'string' ? [params.value] : (params.values as string[]);
      const haystack = caseSensitive ? output : output.toLowerCase();
      const found = values.filter((v) => haystack.includes(caseSensitive ? v : v.toLowerCase()));
      const all = params.mode === 'all';
      const ok = all ? found.length === values.length : found.length > 0;
      if (ok) return pass(`The output contains ${found.map((v) => JSON.stringify(v)).join(', ')}`);
      const missing = values.filter((v) => !found.includes(v));
      return fail(`The output does not contain ${missing.map((v) => JSON.stringify(v)).join(all ? ', ' : ' or ')}`);
    }
    case 'regex': {
      const flags = typeof params.flags === 'string' ? params.flags.replace(/[gy]/g, '') : '';
      regexContext.re = new RegExp(params.pattern as string, flags);
      regexContext.input = output.slice(0, MAX_REGEX_INPUT);
      let matched: boolean;
      try {
        matched = regexScript.runInContext(regexContext, { timeout: REGEX_TIMEOUT_MS }) as boolean;
      } catch {
        throw new Error(`The pattern ran longer than ${REGEX_TIMEOUT_MS} ms on this value`);
      }
      return matched ? pass(`The output matches /${params.pattern as string}/`) : fail(`The output does not match /${params.pattern as string}/`);
    }
    case 'json_valid': {
      if (typeof input.output !== 'string') return input.output !== undefined && input.output !== null ? pass('The output is structured JSON') : fail('There is no output');
      try {
        JSON.parse(input.output);
        return pass('The output is valid JSON');
      } catch (error) {
        return fail(`The output is not valid JSON: ${(error as Error).message}`);
      }
    }
    case 'json_schema': {
      let value = input.output;
      if (typeof value === 'string') {
        try {
          value = JSON.parse(value);
        } catch (error) {
          return fail(`The output is not valid JSON: ${(error as Error).message}`);
        }
      }
      const schema = params.schema as object;
      let validate = schemaCache.get(schema);
      if (!validate) {
        validate = ajv.compile(schema);
        schemaCache.set(schema, validate);
      }
      if (validate(value)) return pass('The output matches the schema');
      const first = validate.errors?.[0];
      return fail(`The output breaks the schema: ${first ? `${first.instancePath || '/'} ${first.message ?? ''}`.trim() : 'invalid'}`);
    }
    case 'length': {
      const n = [...output].length;
      const min = typeof params.min === 'number' ? params.min : null;
      const max = typeof params.max === 'number' ? params.max : null;
      if (min !== null && n < min) return fail(`The output has ${n} characters, fewer than ${min}`);
      if (max !== null && n > max) return fail(`The output has ${n} characters, more than ${max}`);
      return pass(`The output has ${n} characters`);
    }
    case 'latency': {
      if (input.latencyMs === undefined || input.latencyMs === null) throw new Error('This span or item has no latency');
      const maxMs = params.maxMs as number;
      return input.latencyMs <= maxMs ? pass(`${input.latencyMs} ms ≤ ${maxMs} ms`) : fail(`${input.latencyMs} ms > ${maxMs} ms`);
    }
  }
}
