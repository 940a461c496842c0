import type { ExportRow } from '../../annotations/annotations-for-export.ts';
import type { FormatWriter } from './format.ts';

const stringColumns: Array<[string, (r: ExportRow) => string]> = [
  ['item_id', (r) => r.itemId],
  ['external_id', (r) => r.externalId ?? ''],
  ['task_id', (r) => r.taskId],
  ['annotator_id', (r) => r.annotatorId ?? ''],
  ['status', (r) => r.status ?? ''],
  ['shapes_json', (r) => r.shapesJson],
  ['payload_json', (r) => r.payloadJson],
];

/**
 * `hdf5`: root attribute `format = "loupe"`, group `/annotations` with equal-length 1-D datasets
 * (UTF-8 variable-length strings, and `updated_at` as int64 ms since the epoch).
 *
 * Memory bound: h5wasm cannot append to a variable-length string dataset (writing a slice of a
 * vlen dataset is not implemented), so each dataset is written whole. The writer therefore makes
 * one pass over the rows per dataset and holds ONE column at a time (e.g. all item ids, then all
 * payloads), never the whole export: peak memory is the largest column, not the sum of all.
 */
export const writeHdf5: FormatWriter = async (fc) => {
  // Loaded on first use: h5wasm's WebAssembly heap adds ~600 MB to the process's RSS from the
  // moment it is imported, which every server would pay without ever writing an HDF5 file.
  const { default: h5wasm } = await import('h5wasm/node');
  await h5wasm.ready;
  const file = new h5wasm.File(fc.path, 'w');
  let rows = 0;
  try {
    file.create_attribute('format', 'loupe');
    const group = file.create_group('annotations');
    for (const [name, pick] of stringColumns) {
      const values: string[] = [];
      for await (const batch of fc.batches()) for (const row of batch) values.push(pick(row));
      rows = values.length;
      group.create_dataset({ name, data: values });
    }
    const times: bigint[] = [];
    for await (const batch of fc.batches()) for (const row of batch) times.push(BigInt(Math.round(row.updatedMs)));
    group.create_dataset({ name: 'updated_at', data: BigInt64Array.from(times) });
  } finally {
    file.close();
  }
  return { rows };
};
