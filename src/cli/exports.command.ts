import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { client, cliOptions, data } from './context.ts';
import { print } from './output.ts';

type Global = () => { url?: string; token?: string; json?: boolean };
const columns = ['id', 'format', 'status', 'progress', 'rows', 'bytes', 'fileName'];
const flat = (e: Record<string, any>) => ({ ...e, progress: `${e.progress?.done ?? 0}/${e.progress?.total ?? 0}` });

/** `loupe exports create|status|download` (docs/exports.md). */
export function exportsCommand(global: Global) {
  const cmd = new Command('exports').description('Exports: create, follow, download');
  cmd
    .command('create')
    .argument('<projectId>')
    .requiredOption('--task <taskId...>', 'task(s) to export')
    .requiredOption('--format <format>', 'json | jsonl | csv | coco | hdf5 | lerobot | parquet')
    .option('--since-last', 'only task items new or changed since the previous export of this definition')
    .option('--from <iso>', 'range start (updatedAt)')
    .option('--to <iso>', 'range end (updatedAt)')
    .option('--dataset <datasetId...>', 'only items of these datasets')
    .option('--lerobot-version <v>', 'v3.0 | v2.1')
    .action(async (projectId: string, f: Record<string, any>) => {
      const o = cliOptions(global());
      const kind = f.sinceLast ? 'since_last' : f.from || f.to ? 'range' : 'all';
      const body = {
        taskIds: f.task,
        format: f.format,
        scope: { kind, from: f.from, to: f.to, datasetIds: f.dataset },
        options: f.lerobotVersion ? { lerobotVersion: f.lerobotVersion } : undefined,
      };
      print(data(await client(o).POST('/api/v1/projects/{projectId}/exports', { params: { path: { projectId } }, body: body as any })) as Record<string, any>, o.json);
    });
  cmd
    .command('status')
    .argument('<exportId>')
    .action(async (exportId: string) => {
      const o = cliOptions(global());
      const e = data(await client(o).GET('/api/v1/exports/{exportId}', { params: { path: { exportId } } })) as Record<string, any>;
      o.json ? print(e, true) : print(flat(e), false, columns);
    });
  cmd
    .command('download')
    .argument('<exportId>')
    .option('--out <file>', 'where to write (default: the export’s file name)')
    .option('--wait', 'wait for the export to complete first')
    .action(async (exportId: string, f: Record<string, any>) => {
      const o = cliOptions(global());
      const api = client(o);
      let e = data(await api.GET('/api/v1/exports/{exportId}', { params: { path: { exportId } } })) as Record<string, any>;
      while (f.wait && (e.status === 'queued' || e.status === 'running')) {
        await new Promise((r) => setTimeout(r, 500));
        e = data(await api.GET('/api/v1/exports/{exportId}', { params: { path: { exportId } } })) as Record<string, any>;
      }
      const response = await fetch(`${o.url.replace(/\/$/, '')}/api/v1/exports/${exportId}/download`, { headers: { authorization: `Bearer ${o.token}` } });
      if (!response.ok || !response.body) {
        const problem = (await response.json().catch(() => ({}))) as { detail?: string };
        throw new Error(problem.detail ?? `download failed with ${response.status}`);
      }
      const total = Number(response.headers.get('content-length') ?? 0);
      const out = f.out ?? e.fileName;
      const file = createWriteStream(out);
      const bar = o.json || !process.stderr.isTTY ? null : new SingleBar({ format: 'downloading |{bar}| {percentage}% {value}/{total} bytes', stream: process.stderr }, Presets.shades_classic);
      bar?.start(total, 0);
      let bytes = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        bar?.update(bytes);
        if (!file.write(chunk)) await once(file, 'drain');
      }
      file.end();
      await once(file, 'finish');
      bar?.stop();
      print({ file: out, bytes }, o.json);
    });
  return cmd;
}
