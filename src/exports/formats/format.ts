import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { ExportRow } from '../../annotations/annotations-for-export.ts';
import type { ExportOptions } from '../exports.table.ts';

/** What a format writer gets: where to write, and as many passes over the rows as it needs. */
export interface FormatContext {
  /** The file to write (a temporary name; the runner renames it once the export completed). */
  path: string;
  /** A scratch directory of this export, removed afterwards. */
  scratchDir: string;
  /** A fresh pass over the exported rows in keyset batches (one batch in memory at a time). */
  batches: () => AsyncIterable<ExportRow[]>;
  /**
   * A fresh pass over the same rows as JSONL text built by the database (export-lines.ts): one
   * record per line, each ending in `\n` (a record never holds a raw `\n`).
   */
  lines: () => AsyncIterable<LineChunk>;
  /** Categories from the tasks' recipes (COCO): label name → id, in recipe order. */
  categories: Array<{ id: number; name: string }>;
  /** Task names by id (LeRobot uses a task's name when an episode names no task). */
  taskNames: Map<string, string>;
  options: ExportOptions;
}

/**
 * JSONL bytes and how many records (newlines) they hold. A chunk may end inside a line (COPY's
 * chunks do); the pass as a whole is whole lines.
 */
export interface LineChunk {
  data: string | Buffer;
  rows: number;
}

export interface FormatResult {
  rows: number;
  /** The written file's checksum and size when the writer computed them as it wrote (else the runner reads the file again). */
  file?: { sha256: string; bytes: number };
  /** Members of the downloadable file (LeRobot's zip), with their own checksums. */
  members?: Array<{ path: string; bytes: number; sha256: string }>;
}

export type FormatWriter = (fc: FormatContext) => Promise<FormatResult>;

/**
 * A buffered file writer that honours back-pressure: text is gathered up to 1 MiB and written
 * in one call, and a write waits for the stream to drain, so memory stays flat. It hashes what
 * it writes (`file()`), so a file written by one sink from start to end is not read again for
 * its checksum.
 */
export class FileSink {
  private stream: WriteStream;
  private hash = createHash('sha256');
  private pending: string[] = [];
  private pendingBytes = 0;
  bytes = 0;

  constructor(path: string) {
    this.stream = createWriteStream(path);
  }

  async write(text: string | Buffer) {
    if (typeof text !== 'string') {
      // Bytes go out as they are, after the text gathered before them.
      await this.flush();
      this.bytes += text.length;
      this.hash.update(text);
      if (!this.stream.write(text)) await once(this.stream, 'drain');
      return;
    }
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= 1 << 20) await this.flush();
  }

  async flush() {
    if (!this.pending.length) return;
    const chunk = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    this.bytes += chunk.length;
    this.hash.update(chunk);
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close() {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }

  /** Checksum and size of everything written (after `close`). */
  file(): { sha256: string; bytes: number } {
    return { sha256: this.hash.digest('hex'), bytes: this.bytes };
  }
}

/** The record every flat format writes (docs/exports.md), as JSON text built without re-parsing payloads. */
export function recordJson(row: ExportRow): string {
  return (
    `{"itemId":${JSON.stringify(row.itemId)},"externalId":${JSON.stringify(row.externalId)},"taskId":${JSON.stringify(row.taskId)},` +
    `"status":${JSON.stringify(row.status)},"annotatorId":${JSON.stringify(row.annotatorId)},"updatedAt":"${new Date(row.updatedMs).toISOString()}",` +
    `"shapes":${row.shapesJson},"payload":${row.payloadJson}}`
  );
}

export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
