import { Transform, pipeline, type Readable } from 'node:stream';
import { parse as parseCsv, type CsvError } from 'csv-parse';
import streamArray from 'stream-json/streamers/stream-array.js';
import { createHash } from 'node:crypto';
import { DomainError } from '../core/errors.ts';
import type { StreamedBody } from '../db/idempotency.ts';

/**
 * Streaming readers for the import formats. Each yields one record per line (or array element)
 * as it is read, so memory holds one record and a batch, never the body. A record is either a
 * parsed value or the reason its line is bad; a body that cannot be read on (broken JSON array,
 * body too large) throws instead.
 */
export type ImportFormat = 'json' | 'ndjson' | 'csv';

/** `bytes` is the record's approximate size in the body, for batch budgets. */
export type RawRecord = { line: number; value: unknown; bytes: number } | { line: number; error: string };

/** Largest body an import accepts (bytes). */
export const IMPORT_MAX_BYTES = 4 * 1024 ** 3;
/** Largest single line / element / CSV record (bytes). */
export const MAX_RECORD_BYTES = 16 * 1024 ** 2;

/**
 * What the import route's content-type parsers hand over: the unread body stream. `toJSON` gives
 * the idempotency fingerprint something small and stable to hash instead of the stream; with
 * `digest` (a request sent with an `Idempotency-Key`) the body's bytes are hashed as the import
 * reads them, so a retry can be told from a different body of the same length.
 */
export class ImportBody implements StreamedBody {
  readonly stream: Readable;
  #digest: string | null = null;
  readonly #hashed: boolean;

  constructor(
    source: Readable,
    readonly format: ImportFormat,
    readonly contentLength: number | null,
    options: { digest?: boolean } = {},
  ) {
    this.#hashed = options.digest === true;
    if (!this.#hashed) {
      this.stream = source;
      return;
    }
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
      flush: (callback) => {
        this.#digest = hash.digest('hex');
        callback();
      },
    });
    // A client that breaks off fails `stream` too; a reader that stops early destroys `source`.
    pipeline(source, hashing, () => {});
    this.stream = hashing;
  }

  toJSON() {
    return { import: this.format, contentLength: this.contentLength };
  }

  /**
   * The body's SHA-256 once it is read to its end. A body nobody read yet (a replayed request) is
   * read here; one that broke off or was left half read has none (null), nor has a body that
   * was not hashed.
   */
  async bodyDigest(): Promise<string | null> {
    if (!this.#hashed || this.#digest) return this.#digest;
    if (this.stream.destroyed || this.stream.readableEnded) return null;
    try {
      for await (const _chunk of this.stream) {
        // drained only for the digest
      }
    } catch {
      return null;
    }
    return this.#digest;
  }
}

const tooLarge = () => new DomainError('payload_too_large', `An import body is at most ${IMPORT_MAX_BYTES} bytes`);

/** Counts bytes through, and fails the stream past the import limit. */
function byteCounter(onBytes?: (n: number) => void) {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      total += chunk.length;
      onBytes?.(chunk.length);
      if (total > IMPORT_MAX_BYTES) return callback(tooLarge());
      callback(null, chunk);
    },
  });
}

/**
 * JSON Lines: one JSON value per line, blank lines skipped, `\r\n` accepted. Lines are split on
 * bytes (a newline byte never occurs inside a UTF-8 multi-byte sequence). A line longer than
 * `MAX_RECORD_BYTES` is reported bad and skipped without being held in memory.
 */
export async function* ndjsonRecords(stream: Readable): AsyncGenerator<RawRecord> {
  let total = 0;
  let line = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let oversized = false;
  const emit = (buf: Buffer): RawRecord | null => {
    const bytes = buf.length;
    line++;
    let text = buf.toString('utf8');
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return null;
    try {
      return { line, value: JSON.parse(text), bytes };
    } catch (e) {
      return { line, error: `not JSON: ${(e as Error).message}` };
    }
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > IMPORT_MAX_BYTES) throw tooLarge();
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      if (oversized) {
        line++;
        yield { line, error: `line longer than ${MAX_RECORD_BYTES} bytes` };
        oversized = false;
      } else {
        const piece = chunk.subarray(start, nl);
        const record = emit(pendingBytes ? Buffer.concat([...pending, piece]) : piece);
        if (record) yield record;
      }
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length && !oversized) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > MAX_RECORD_BYTES) {
        oversized = true;
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (oversized) yield { line: line + 1, error: `line longer than ${MAX_RECORD_BYTES} bytes` };
  else if (pendingBytes) {
    const record = emit(Buffer.concat(pending));
    if (record) yield record;
  }
}

/**
 * A JSON array, element by element (`line` is the element's 1-based position). Broken JSON
 * cannot be read past, so it throws `invalid_import` naming the element it broke in.
 */
export async function* jsonArrayRecords(stream: Readable): AsyncGenerator<RawRecord> {
  // Bytes read since the last element came out: a guard against one huge element (the parser
  // assembles each element in memory).
  let sinceLast = 0;
  let read = 0;
  let readAtLast = 0;
  const counter = byteCounter((n) => {
    sinceLast += n;
    read += n;
  });
  const elements = streamArray.withParserAsStream();
  pipeline(stream, counter, elements, () => {});
  let position = 0;
  try {
    for await (const { value } of elements as AsyncIterable<{ key: number; value: unknown }>) {
      position++;
      sinceLast = 0;
      const bytes = Math.max(read - readAtLast, 1);
      readAtLast = read;
      yield { line: position, value, bytes };
      if (sinceLast > 4 * MAX_RECORD_BYTES) throw new Error(`element longer than ${MAX_RECORD_BYTES} bytes`);
    }
  } catch (e) {
    if (e instanceof DomainError) throw e;
    const message = (e as Error).message;
    throw new DomainError('invalid_import', `The body is not a readable JSON array: ${message}`, {
      failed: [{ line: position + 1, error: message }],
      failedCount: 1,
    });
  }
}

/** CSV headers the import understands. */
const csvHeader = /^(externalId|kind|draft|text|annotations|gold|(payload|metadata)(\.[A-Za-z_][A-Za-z0-9_-]{0,63}){1,4})$/;

/**
 * CSV with a header row: `payload.x` and `metadata.x` columns map into those objects (dotted for
 * nesting); `text` is short for `payload.text`; `externalId`, `kind`, `draft`, `annotations` and
 * `gold` (JSON) are the item's own fields. A cell holding a JSON object or array is parsed; a
 * metadata cell holding a number or `true`/`false` becomes one; other cells stay strings; empty
 * cells are left out. `line` is the CSV line the record starts on. A row with the wrong number of
 * cells is a bad line; an unknown header fails the whole import.
 */
export async function* csvRecords(stream: Readable): AsyncGenerator<RawRecord> {
  const skipped: RawRecord[] = [];
  const parser = parseCsv({
    bom: true,
    columns: (header: string[]) => {
      const trimmed = header.map((h) => h.trim());
      const bad = trimmed.filter((h) => !csvHeader.test(h));
      const dup = trimmed.filter((h, i) => trimmed.indexOf(h) !== i);
      if (bad.length || dup.length) {
        const error = bad.length ? `unknown column(s) ${bad.join(', ')}: use payload.<key>, metadata.<key>, text, externalId, kind, draft, annotations, gold` : `duplicate column(s) ${dup.join(', ')}`;
        throw new DomainError('invalid_import', `The CSV header is not valid: ${error}`, { failed: [{ line: 1, error }], failedCount: 1 });
      }
      return trimmed;
    },
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_BYTES,
    info: true,
  });
  parser.on('skip', (err: CsvError) => {
    skipped.push({ line: Number((err as CsvError & { lines?: number }).lines ?? 0), error: err.message });
  });
  pipeline(stream, byteCounter(), parser, () => {});
  try {
    let bytesAtLast = 0;
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; bytes: number } }>) {
      while (skipped.length) yield skipped.shift()!;
      yield { line: info.lines, value: csvRow(record), bytes: info.bytes - bytesAtLast };
      bytesAtLast = info.bytes;
    }
  } catch (e) {
    if (e instanceof DomainError) throw e;
    const cause = (e as Error & { cause?: unknown }).cause;
    if (cause instanceof DomainError) throw cause;
    const message = (e as Error).message;
    throw new DomainError('invalid_import', `The CSV cannot be read: ${message}`, { failed: [{ line: 0, error: message }], failedCount: 1 });
  }
  while (skipped.length) yield skipped.shift()!;
}

function parseJsonCell(cell: string, literals: boolean): unknown {
  const t = cell.trim();
  const structured = t.startsWith('{') || t.startsWith('[');
  const literal = literals && (t === 'true' || t === 'false' || /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t));
  if (!structured && !literal) return cell;
  try {
    return JSON.parse(t);
  } catch {
    return cell;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown) {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** One CSV record (header → cell) as an import line. */
function csvRow(record: Record<string, string>): Record<string, unknown> {
  const line: Record<string, unknown> = { payload: {} };
  const payload = line.payload as Record<string, unknown>;
  for (const [header, cell] of Object.entries(record)) {
    if (cell === '' || cell === undefined) continue;
    if (header === 'text') payload.text = cell;
    else if (header === 'externalId' || header === 'kind') line[header] = cell;
    else if (header === 'draft') line.draft = /^(true|1|yes)$/i.test(cell.trim()) ? true : /^(false|0|no)$/i.test(cell.trim()) ? false : cell;
    else if (header === 'annotations' || header === 'gold') line[header] = parseJsonCell(cell, false);
    else {
      const [root, ...path] = header.split('.');
      if (root === 'metadata') {
        line.metadata ??= {};
        setPath(line.metadata as Record<string, unknown>, path, parseJsonCell(cell, true));
      } else {
        setPath(payload, path, path.length === 1 && path[0] === 'text' ? cell : parseJsonCell(cell, false));
      }
    }
  }
  return line;
}

/** Picks the reader for a format. */
export function readRecords(body: ImportBody): AsyncGenerator<RawRecord> {
  switch (body.format) {
    case 'ndjson':
      return ndjsonRecords(body.stream);
    case 'json':
      return jsonArrayRecords(body.stream);
    case 'csv':
      return csvRecords(body.stream);
  }
}
