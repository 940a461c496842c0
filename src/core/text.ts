/**
 * True when a string anywhere in `value` (keys included) holds a NUL character. PostgreSQL text
 * and jsonb cannot store U+0000, so such input is refused up front with a clear 400 instead of
 * failing inside the database.
 */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => containsNul(v, depth + 1));
  // Only parsed JSON is walked: a streamed body (an import) is an IncomingMessage, checked line by line.
  if (typeof (value as { pipe?: unknown }).pipe === 'function' || Buffer.isBuffer(value) || value instanceof Date) return false;
  for (const [key, v] of Object.entries(value)) if (key.includes('\u0000') || containsNul(v, depth + 1)) return true;
  return false;
}
