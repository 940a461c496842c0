import { ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import { fileWriter } from 'hyparquet-writer/src/node.js';
import type { ExportRow } from '../../annotations/annotations-for-export.ts';
import type { FormatWriter } from './format.ts';

const flatColumns = (rows: ExportRow[]): ColumnSource[] => [
  { name: 'itemId', data: rows.map((r) => r.itemId), type: 'STRING', nullable: false },
  { name: 'externalId', data: rows.map((r) => r.externalId), type: 'STRING' },
  { name: 'taskId', data: rows.map((r) => r.taskId), type: 'STRING', nullable: false },
  { name: 'status', data: rows.map((r) => r.status), type: 'STRING' },
  { name: 'annotatorId', data: rows.map((r) => r.annotatorId), type: 'STRING' },
  { name: 'updatedAt', data: rows.map((r) => new Date(r.updatedMs)), type: 'TIMESTAMP', nullable: false },
  { name: 'shapes', data: rows.map((r) => r.shapesJson), type: 'STRING', nullable: false },
  { name: 'payload', data: rows.map((r) => r.payloadJson), type: 'STRING', nullable: false },
];

/**
 * `parquet`: the flat records as one Parquet file, one row group per batch of rows read (the
 * writer flushes to disk every megabyte), SNAPPY unless `options.compression` says otherwise.
 */
export const writeParquet: FormatWriter = async (fc) => {
  const schema = schemaFromColumnData({ columnData: flatColumns([]) });
  const writer = new ParquetWriter({ writer: fileWriter(fc.path), schema, codec: fc.options.compression ?? 'SNAPPY', createdBy: 'loupe' });
  let rows = 0;
  for await (const batch of fc.batches()) {
    if (!batch.length) continue;
    const columnData = flatColumns(batch).map(({ type: _type, nullable: _nullable, ...rest }) => rest);
    await writer.write({ columnData, rowGroupSize: batch.length });
    rows += batch.length;
  }
  await writer.finish();
  return { rows };
};
