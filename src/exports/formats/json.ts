import { FileSink, type FormatWriter } from './format.ts';

/** `json`: one array of records (the JSONL lines, joined by commas). */
export const writeJson: FormatWriter = async (fc) => {
  const sink = new FileSink(fc.path);
  let rows = 0;
  await sink.write('[');
  for await (const chunk of fc.lines()) {
    if (!chunk.rows) continue;
    // Each line ends in its only newline: "a\nb\n" becomes "\na,\nb" (",\n" before a later chunk).
    await sink.write((rows ? ',\n' : '\n') + chunk.text.slice(0, -1).replaceAll('\n', ',\n'));
    rows += chunk.rows;
  }
  await sink.write(rows ? '\n]\n' : ']\n');
  await sink.close();
  return { rows };
};

/** `jsonl`: one record per line. */
export const writeJsonl: FormatWriter = async (fc) => {
  const sink = new FileSink(fc.path);
  let rows = 0;
  for await (const chunk of fc.lines()) {
    rows += chunk.rows;
    await sink.write(chunk.text);
  }
  await sink.close();
  return { rows };
};
