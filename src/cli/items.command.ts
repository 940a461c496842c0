import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { LoupeError } from '../../sdk/index.ts';
import { cliOptions, reachable, UsageError, type CliOptions } from './context.ts';
import { print } from './output.ts';

const contentTypes: Record<string, string> = {
  '.jsonl': 'application/x-ndjson',
  '.ndjson': 'application/x-ndjson',
  '.csv': 'text/csv',
  '.json': 'application/json',
};

/**
 * Streams a file to `POST /api/v1/datasets/{id}/items` (the server parses it as a stream too,
 * so neither side holds the file in memory), with a progress bar of bytes sent.
 */
export async function importItems(options: CliOptions, datasetId: string, file: string, flags: { partial?: boolean; format?: string }) {
  if (!options.token) throw new UsageError('No API token: run `loupe login`, set LOUPE_TOKEN or pass --token');
  const type = flags.format ? contentTypes[`.${flags.format}`] : contentTypes[extname(file).toLowerCase()];
  if (!type) throw new UsageError(`Cannot tell the format of ${file}: use .jsonl, .ndjson, .csv or .json, or --format`);
  const size = statSync(file).size;
  const bar = options.json || !process.stderr.isTTY ? null : new SingleBar({ format: 'importing |{bar}| {percentage}% {value}/{total} bytes · {eta}s left', stream: process.stderr }, Presets.shades_classic);
  bar?.start(size, 0);
  let sent = 0;
  const stream = createReadStream(file);
  stream.on('data', (chunk) => {
    sent += chunk.length;
    bar?.update(sent);
  });
  const url = new URL(`/api/v1/datasets/${encodeURIComponent(datasetId)}/items`, options.url);
  if (flags.partial) url.searchParams.set('mode', 'partial');
  try {
    const response = await reachable(options.url)(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': type, 'content-length': String(size) },
      body: Readable.toWeb(stream) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    bar?.update(size);
    bar?.stop();
    if (!response.ok) {
      const failed = Array.isArray(body.failed) ? (body.failed as Array<{ line: number; error: string }>) : [];
      const error = new LoupeError({ ...body, status: response.status });
      error.message = [error.message, ...failed.slice(0, 20).map((f) => `  line ${f.line}: ${f.error}`)].join('\n');
      throw error;
    }
    if (options.json) print(body, true);
    else {
      const failed = Array.isArray(body.failed) ? body.failed.length : 0;
      process.stdout.write(`created ${body.created ?? 0}, updated ${body.updated ?? 0}, failed ${failed}\n`);
      for (const f of (body.failed as Array<{ line: number; error: string }> | undefined)?.slice(0, 20) ?? []) process.stdout.write(`  line ${f.line}: ${f.error}\n`);
    }
  } finally {
    bar?.stop();
  }
}

export function itemsCommand(global: () => { url?: string; token?: string; json?: boolean }) {
  const items = new Command('items').description('Items of datasets');
  items
    .command('import')
    .description('Import a JSON Lines, CSV or JSON file into a dataset (atomic unless --partial)')
    .argument('<datasetId>')
    .argument('<file>')
    .option('--partial', 'write the good lines and report the bad ones instead of refusing the whole file')
    .option('--format <format>', 'jsonl | csv | json (default: from the file extension)')
    .action((datasetId: string, file: string, flags: { partial?: boolean; format?: string }) => importItems(cliOptions(global()), datasetId, file, flags));
  return items;
}
