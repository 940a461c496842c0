import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { ParquetWriter } from 'hyparquet-writer';
import { fileWriter } from 'hyparquet-writer/src/node.js';
import type { SchemaElement } from 'hyparquet';
import yazl from 'yazl';
import { sha256File, type FormatContext, type FormatWriter } from './format.ts';

/**
 * `lerobot`: a zip of a LeRobot dataset (docs/exports.md), checked against LeRobot's own reader:
 * v3.0 by default (many episodes per `data/chunk-000/file-000.parquet`, episode metadata in
 * `meta/episodes/chunk-000/file-000.parquet`, `meta/tasks.parquet`), v2.1 with
 * `options.lerobotVersion: "v2.1"` (one parquet file per episode, `meta/episodes.jsonl`,
 * `meta/tasks.jsonl`). One episode per exported item whose payload holds `frames`; one row per
 * frame with LeRobot's columns plus `annotation.status` and `annotation.shapes` (the shapes whose
 * frame range covers the frame; a shape without a range covers every frame).
 */

interface Frame {
  timestamp?: number;
  observation?: { state?: number[] };
  action?: number[];
}

interface EpisodeShape {
  startFrame?: number;
  endFrame?: number;
  frameStart?: number;
  frameEnd?: number;
  [key: string]: unknown;
}

const CHUNK_SIZE = 1000;
const listOf = (name: string, type: 'FLOAT' | 'BYTE_ARRAY'): SchemaElement[] => [
  { name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  type === 'FLOAT' ? { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' } : { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
];

const frameSchema: SchemaElement[] = [
  { name: 'schema', num_children: 9 },
  { name: 'timestamp', type: 'FLOAT', repetition_type: 'REQUIRED' },
  { name: 'frame_index', type: 'INT64', repetition_type: 'REQUIRED' },
  { name: 'episode_index', type: 'INT64', repetition_type: 'REQUIRED' },
  { name: 'index', type: 'INT64', repetition_type: 'REQUIRED' },
  { name: 'task_index', type: 'INT64', repetition_type: 'REQUIRED' },
  ...listOf('observation.state', 'FLOAT'),
  ...listOf('action', 'FLOAT'),
  { name: 'annotation.status', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  { name: 'annotation.shapes', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
];

class FrameBuffer {
  timestamp: number[] = [];
  frameIndex: bigint[] = [];
  episodeIndex: bigint[] = [];
  index: bigint[] = [];
  taskIndex: bigint[] = [];
  state: number[][] = [];
  action: number[][] = [];
  status: Array<string | null> = [];
  shapes: string[] = [];
  get length() {
    return this.timestamp.length;
  }
  columns() {
    return [
      { name: 'timestamp', data: Float32Array.from(this.timestamp) },
      { name: 'frame_index', data: BigInt64Array.from(this.frameIndex) },
      { name: 'episode_index', data: BigInt64Array.from(this.episodeIndex) },
      { name: 'index', data: BigInt64Array.from(this.index) },
      { name: 'task_index', data: BigInt64Array.from(this.taskIndex) },
      { name: 'observation.state', data: this.state },
      { name: 'action', data: this.action },
      { name: 'annotation.status', data: this.status },
      { name: 'annotation.shapes', data: this.shapes },
    ];
  }
}

const rangeOf = (s: EpisodeShape): [number, number] => [
  Number(s.startFrame ?? s.frameStart ?? -Infinity),
  Number(s.endFrame ?? s.frameEnd ?? Infinity),
];

/** A small Parquet file from whole columns (metadata tables). */
async function writeSmallParquet(path: string, schema: SchemaElement[], columnData: Array<{ name: string; data: unknown[] | ArrayLike<unknown> }>, kvMetadata?: Array<{ key: string; value: string }>) {
  await mkdir(dirname(path), { recursive: true });
  const writer = new ParquetWriter({ writer: fileWriter(path), schema, codec: 'SNAPPY', kvMetadata, createdBy: 'loupe' });
  if (columnData[0] && columnData[0].data.length) await writer.write({ columnData: columnData as never, rowGroupSize: 1_000_000 });
  await writer.finish();
}

/** pandas metadata so `pd.read_parquet` restores `task` as the index, as LeRobot's `load_tasks` expects. */
const pandasTaskIndex = JSON.stringify({
  index_columns: ['task'],
  column_indexes: [],
  columns: [
    { name: 'task', field_name: 'task', pandas_type: 'unicode', numpy_type: 'object', metadata: null },
    { name: 'task_index', field_name: 'task_index', pandas_type: 'int64', numpy_type: 'int64', metadata: null },
  ],
  creator: { library: 'loupe', version: '1' },
  pandas_version: '2.2.3',
});

export const writeLerobot: FormatWriter = async (fc: FormatContext) => {
  const v21 = fc.options.lerobotVersion === 'v2.1';
  const root = join(fc.scratchDir, 'lerobot');
  const codec = fc.options.compression ?? 'SNAPPY';
  const tasks = new Map<string, number>();
  const episodes: Array<{ episode_index: number; tasks: string[]; length: number; from: number; to: number }> = [];
  let fps = 0;
  let stateDim = 0;
  let actionDim = 0;
  let globalIndex = 0;

  const v3DataPath = join(root, 'data/chunk-000/file-000.parquet');
  let v3Writer: ParquetWriter | null = null;
  const buffer = new FrameBuffer();
  const flushV3 = async () => {
    if (!buffer.length) return;
    if (!v3Writer) {
      await mkdir(dirname(v3DataPath), { recursive: true });
      v3Writer = new ParquetWriter({ writer: fileWriter(v3DataPath), schema: frameSchema, codec, createdBy: 'loupe' });
    }
    await v3Writer.write({ columnData: buffer.columns() as never, rowGroupSize: buffer.length });
    Object.assign(buffer, new FrameBuffer());
  };

  for await (const batch of fc.batches()) {
    for (const row of batch) {
      const payload = JSON.parse(row.payloadJson) as { frames?: Frame[]; fps?: number; task?: string };
      if (!Array.isArray(payload.frames)) continue;
      const episodeIndex = episodes.length;
      const taskText = String(payload.task ?? fc.taskNames.get(row.taskId) ?? row.taskId);
      let taskIndex = tasks.get(taskText);
      if (taskIndex === undefined) tasks.set(taskText, (taskIndex = tasks.size));
      if (!fps && typeof payload.fps === 'number') fps = payload.fps;
      const shapes = JSON.parse(row.shapesJson) as EpisodeShape[];
      const target = v21 ? new FrameBuffer() : buffer;
      const from = globalIndex;
      payload.frames.forEach((frame, frameIndex) => {
        const state = (frame.observation?.state ?? []).map(Number);
        const action = (frame.action ?? []).map(Number);
        stateDim ||= state.length;
        actionDim ||= action.length;
        target.timestamp.push(Number(frame.timestamp ?? frameIndex / (payload.fps || 1)));
        target.frameIndex.push(BigInt(frameIndex));
        target.episodeIndex.push(BigInt(episodeIndex));
        target.index.push(BigInt(globalIndex++));
        target.taskIndex.push(BigInt(taskIndex));
        target.state.push(state);
        target.action.push(action);
        target.status.push(row.status);
        target.shapes.push(JSON.stringify(shapes.filter((s) => { const [a, b] = rangeOf(s); return frameIndex >= a && frameIndex <= b; })));
      });
      episodes.push({ episode_index: episodeIndex, tasks: [taskText], length: payload.frames.length, from, to: globalIndex });
      if (v21) {
        const chunk = Math.floor(episodeIndex / CHUNK_SIZE);
        const path = join(root, `data/chunk-${String(chunk).padStart(3, '0')}/episode_${String(episodeIndex).padStart(6, '0')}.parquet`);
        await mkdir(dirname(path), { recursive: true });
        const writer = new ParquetWriter({ writer: fileWriter(path), schema: frameSchema, codec, createdBy: 'loupe' });
        if (target.length) await writer.write({ columnData: target.columns() as never, rowGroupSize: target.length });
        await writer.finish();
      } else if (buffer.length >= 10_000) {
        await flushV3();
      }
    }
  }
  if (!v21) {
    await flushV3();
    if (v3Writer) await (v3Writer as ParquetWriter).finish();
  }

  const features = {
    timestamp: { dtype: 'float32', shape: [1], names: null },
    frame_index: { dtype: 'int64', shape: [1], names: null },
    episode_index: { dtype: 'int64', shape: [1], names: null },
    index: { dtype: 'int64', shape: [1], names: null },
    task_index: { dtype: 'int64', shape: [1], names: null },
    'observation.state': { dtype: 'float32', shape: [stateDim], names: null },
    action: { dtype: 'float32', shape: [actionDim], names: null },
    'annotation.status': { dtype: 'string', shape: [1], names: null },
    'annotation.shapes': { dtype: 'string', shape: [1], names: null },
  };
  const totals = { total_episodes: episodes.length, total_frames: globalIndex, total_tasks: tasks.size };
  const taskList = [...tasks.entries()];
  const meta: Record<string, string> = {};
  if (v21) {
    meta['meta/info.json'] = JSON.stringify({
      codebase_version: 'v2.1', robot_type: null, ...totals, total_videos: 0,
      total_chunks: Math.max(1, Math.ceil(episodes.length / CHUNK_SIZE)), chunks_size: CHUNK_SIZE, fps: fps || 30,
      splits: { train: `0:${episodes.length}` },
      data_path: 'data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet', video_path: null, features,
    }, null, 2);
    meta['meta/episodes.jsonl'] = episodes.map((e) => JSON.stringify({ episode_index: e.episode_index, tasks: e.tasks, length: e.length })).join('\n') + (episodes.length ? '\n' : '');
    meta['meta/tasks.jsonl'] = taskList.map(([task, index]) => JSON.stringify({ task_index: index, task })).join('\n') + (taskList.length ? '\n' : '');
  } else {
    meta['meta/info.json'] = JSON.stringify({
      codebase_version: 'v3.0', robot_type: null, ...totals, chunks_size: CHUNK_SIZE,
      data_files_size_in_mb: 100, video_files_size_in_mb: 500, fps: fps || 30,
      splits: { train: `0:${episodes.length}` },
      data_path: 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet', video_path: null, features,
    }, null, 2);
    await writeSmallParquet(join(root, 'meta/tasks.parquet'), [
      { name: 'schema', num_children: 2 },
      { name: 'task', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'task_index', type: 'INT64', repetition_type: 'REQUIRED' },
    ], [
      { name: 'task', data: taskList.map(([task]) => task) },
      { name: 'task_index', data: BigInt64Array.from(taskList.map(([, i]) => BigInt(i))) },
    ], [{ key: 'pandas', value: pandasTaskIndex }]);
    const zeros = () => BigInt64Array.from(episodes.map(() => 0n));
    await writeSmallParquet(join(root, 'meta/episodes/chunk-000/file-000.parquet'), [
      { name: 'schema', num_children: 9 },
      { name: 'episode_index', type: 'INT64', repetition_type: 'REQUIRED' },
      ...listOf('tasks', 'BYTE_ARRAY'),
      { name: 'length', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'data/chunk_index', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'data/file_index', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'dataset_from_index', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'dataset_to_index', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'meta/episodes/chunk_index', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'meta/episodes/file_index', type: 'INT64', repetition_type: 'REQUIRED' },
    ], [
      { name: 'episode_index', data: BigInt64Array.from(episodes.map((e) => BigInt(e.episode_index))) },
      { name: 'tasks', data: episodes.map((e) => e.tasks) },
      { name: 'length', data: BigInt64Array.from(episodes.map((e) => BigInt(e.length))) },
      { name: 'data/chunk_index', data: zeros() },
      { name: 'data/file_index', data: zeros() },
      { name: 'dataset_from_index', data: BigInt64Array.from(episodes.map((e) => BigInt(e.from))) },
      { name: 'dataset_to_index', data: BigInt64Array.from(episodes.map((e) => BigInt(e.to))) },
      { name: 'meta/episodes/chunk_index', data: zeros() },
      { name: 'meta/episodes/file_index', data: zeros() },
    ]);
  }
  for (const [path, text] of Object.entries(meta)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }

  // Zip every file written under the dataset root, streaming each from disk.
  const files: string[] = [...Object.keys(meta)];
  if (v21) episodes.forEach((e) => files.push(`data/chunk-${String(Math.floor(e.episode_index / CHUNK_SIZE)).padStart(3, '0')}/episode_${String(e.episode_index).padStart(6, '0')}.parquet`));
  else {
    files.push('meta/tasks.parquet', 'meta/episodes/chunk-000/file-000.parquet');
    if (v3Writer) files.push('data/chunk-000/file-000.parquet');
  }
  const members = [];
  const zip = new yazl.ZipFile();
  const out = createWriteStream(fc.path);
  zip.outputStream.pipe(out);
  for (const path of files.sort()) {
    members.push({ path, ...(await sha256File(join(root, path))) });
    zip.addFile(join(root, path), path);
  }
  zip.end();
  await once(out, 'finish');
  return { rows: episodes.length, members };
};
