/**
 * Item imports sent from a file as it is read (the browser streams the File; nothing is loaded
 * into the page), with upload progress. A large body is imported by a background job: the answer
 * is 202 with an `importId`, followed here until it ends.
 */
import { api, clientId, LoupeError, toLoupeError, unwrap, type paths } from './client.ts';

type Json<T> = T extends { content: { 'application/json': infer R } } ? R : never;
type ImportPost = paths['/api/v1/datasets/{datasetId}/items']['post']['responses'];
export type ImportResult = Json<ImportPost[200]>;
export type ImportJob = Json<ImportPost[202]>;
export type ImportRecord = Json<paths['/api/v1/imports/{importId}']['get']['responses'][200]>;
export interface FailedLine {
  line: number;
  error: string;
}

export const formatOf = (name: string) => (/\.csv$/i.test(name) ? 'text/csv' : /\.(jsonl|ndjson)$/i.test(name) ? 'application/x-ndjson' : 'application/json');

/** Counts the lines of a file by reading it in chunks (for "line N of M" while it imports). */
export async function countLines(file: Blob, onProgress?: (bytes: number) => void): Promise<number> {
  const reader = file.stream().getReader();
  let lines = 0;
  let bytes = 0;
  let last = 10;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
    bytes += value.length;
    last = value[value.length - 1] ?? last;
    onProgress?.(bytes);
  }
  return lines + (bytes > 0 && last !== 10 ? 1 : 0);
}

/** POSTs the file as the import body; `onSent(bytes, total)` follows the upload. */
export function uploadItems(datasetId: string, file: Blob, contentType: string, partial: boolean, onSent: (sent: number, total: number) => void): Promise<{ status: 200; body: ImportResult } | { status: 202; body: ImportJob }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/datasets/${encodeURIComponent(datasetId)}/items${partial ? '?mode=partial' : ''}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('content-type', contentType);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('idempotency-key', clientId());
    xhr.upload.onprogress = (e) => onSent(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new LoupeError({ status: 0, title: 'Network error', detail: 'The upload was interrupted. Check your connection and try again.' }));
    xhr.onload = () => {
      let parsed: unknown = xhr.responseText;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON: keep the text */
      }
      if (xhr.status === 200 || xhr.status === 202) resolve({ status: xhr.status, body: parsed } as never);
      else reject(toLoupeError(parsed, new Response(null, { status: xhr.status, statusText: xhr.statusText })));
    };
    xhr.send(file);
  });
}

export const imports = {
  get: async (importId: string) => unwrap(await api.GET('/api/v1/imports/{importId}', { params: { path: { importId } } })),
};

/** The failed lines a refusal carries (`invalid_import` details), if any. */
export function failedLinesOf(error: unknown): FailedLine[] {
  if (!(error instanceof LoupeError)) return [];
  const p = error.problem as { failed?: unknown; details?: { failed?: unknown } };
  const failed = p.failed ?? p.details?.failed;
  return Array.isArray(failed) ? (failed as FailedLine[]) : [];
}
