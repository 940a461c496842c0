import { FileSink, recordJson, type FormatWriter } from './format.ts';

/** `json`: one array of records. */
export const writeJson: FormatWriter = async (fc) => {
  const sink = new FileSink(fc.path);
  let rows = 0;
  await sink.write('[');
  for await (const batch of fc.batches()) {
    for (const row of batch) await sink.write((rows++ ? ',\n' : '\n') + recordJson(row));
  }
  await sink.write(rows ? '\n]\n' : ']\n');
  await sink.close();
  return { rows };
};

/** `jsonl`: one record per line. */
export const writeJsonl: FormatWriter = async (fc) => {
  const sink = new FileSink(fc.path);
  let rows = 0;
  for await (const batch of fc.batches()) {
    let text = '';
    for (const row of batch) text += recordJson(row) + '\n';
    rows += batch.length;
    await sink.write(text);
  }
  await sink.close();
  return { rows };
};
