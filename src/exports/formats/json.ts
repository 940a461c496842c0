import { StringDecoder } from 'node:string_decoder';
import { FileSink, type FormatWriter } from './format.ts';

/** `json`: one array of records (the JSONL lines, joined by commas). */
export const writeJson: FormatWriter = async (fc) => {
  const sink = new FileSink(fc.path);
  const decoder = new StringDecoder('utf8');
  let rows = 0;
  let started = false;
  let heldNewline = false; // the newline ending the text written so far: ",\n" if another record follows
  await sink.write('[');
  for await (const chunk of fc.lines()) {
    rows += chunk.rows;
    let text = typeof chunk.data === 'string' ? chunk.data : decoder.write(chunk.data);
    if (!text) continue;
    let out = !started ? '\n' : heldNewline ? ',\n' : '';
    started = true;
    heldNewline = text.endsWith('\n');
    if (heldNewline) text = text.slice(0, -1);
    out += text.replaceAll('\n', ',\n');
    await sink.write(out);
  }
  await sink.write(started ? '\n]\n' : ']\n');
  await sink.close();
  return { rows, file: sink.file() };
};

/** `jsonl`: one record per line. */
export const writeJsonl: FormatWriter = async (fc) => {
  const sink = new FileSink(fc.path);
  let rows = 0;
  for await (const chunk of fc.lines()) {
    rows += chunk.rows;
    await sink.write(chunk.data);
  }
  await sink.close();
  return { rows, file: sink.file() };
};
