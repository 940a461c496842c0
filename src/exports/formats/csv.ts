import { FileSink, type FormatWriter } from './format.ts';

const header = ['itemId', 'externalId', 'taskId', 'status', 'annotatorId', 'updatedAt', 'shapes', 'payload'];

/**
 * One CSV cell. A cell a spreadsheet would read as a formula (starting with = + - @, a tab or a
 * carriage return) gets a leading apostrophe (docs/exports.md); then RFC 4180 quoting.
 */
export function csvCell(value: string | null): string {
  if (value === null) return '';
  let text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  if (/[",\r\n]/.test(text)) text = `"${text.replace(/"/g, '""')}"`;
  return text;
}

/** `csv`: a header line, then one record per line; shapes and payload are JSON text cells. */
export const writeCsv: FormatWriter = async (fc) => {
  const sink = new FileSink(fc.path);
  let rows = 0;
  await sink.write(header.join(',') + '\r\n');
  for await (const batch of fc.batches()) {
    let text = '';
    for (const r of batch) {
      text +=
        [r.itemId, r.externalId, r.taskId, r.status, r.annotatorId, new Date(r.updatedMs).toISOString(), r.shapesJson, r.payloadJson].map(csvCell).join(',') +
        '\r\n';
    }
    rows += batch.length;
    await sink.write(text);
  }
  await sink.close();
  return { rows, file: sink.file() };
};
