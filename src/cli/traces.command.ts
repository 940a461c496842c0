import { Command } from 'commander';
import { client, cliOptions, data } from './context.ts';
import { print } from './output.ts';

type Global = () => { url?: string; token?: string; json?: boolean };

const int = (v: string) => Number(v);

/**
 * `loupe traces tokens|create-token|revoke-token|list|spans|show|to-dataset` (docs/traces.md):
 * ingest tokens for OTLP exporters, and the read side of the span store.
 */
export function tracesCommand(global: Global) {
  const traces = new Command('traces').description('Traces: ingest tokens, traces and spans of a project');
  traces
    .command('create-token')
    .argument('<projectId>')
    .argument('<name>')
    .description('Create an ingest token for OTLP exporters (printed once)')
    .action(async (projectId: string, name: string) => {
      const o = cliOptions(global());
      print(data(await client(o).POST('/api/v1/projects/{projectId}/ingest-tokens', { params: { path: { projectId } }, body: { name } })), o.json, ['id', 'name', 'token']);
    });
  traces
    .command('tokens')
    .argument('<projectId>')
    .description('A project’s ingest tokens (never the tokens themselves)')
    .action(async (projectId: string) => {
      const o = cliOptions(global());
      const page = data(await client(o).GET('/api/v1/projects/{projectId}/ingest-tokens', { params: { path: { projectId }, query: { limit: 500 } } }));
      print(page.data, o.json, ['id', 'name', 'prefix', 'createdAt', 'lastUsedAt', 'revokedAt']);
    });
  traces
    .command('revoke-token')
    .argument('<projectId>')
    .argument('<ingestTokenId>')
    .action(async (projectId: string, ingestTokenId: string) => {
      const o = cliOptions(global());
      print(data(await client(o).DELETE('/api/v1/projects/{projectId}/ingest-tokens/{ingestTokenId}', { params: { path: { projectId, ingestTokenId } } })), o.json, ['id', 'name', 'revokedAt']);
    });
  traces
    .command('list')
    .argument('<projectId>')
    .description('Traces, newest first')
    .option('--from <iso>', 'traces that started at or after this time')
    .option('--to <iso>', 'traces that started before this time')
    .option('--model <name>')
    .option('--status <ok|error>')
    .option('--limit <n>', 'rows (default 50)', int)
    .action(async (projectId: string, f: { from?: string; to?: string; model?: string; status?: 'ok' | 'error'; limit?: number }) => {
      const o = cliOptions(global());
      const query = { limit: f.limit ?? 50, ...(f.from ? { from: f.from } : {}), ...(f.to ? { to: f.to } : {}), ...(f.model ? { model: f.model } : {}), ...(f.status ? { status: f.status } : {}) };
      const page = data(await client(o).GET('/api/v1/projects/{projectId}/traces', { params: { path: { projectId }, query: query as never } }));
      print(page.data, o.json, ['traceId', 'rootName', 'startTime', 'durationMs', 'spanCount', 'statusCode', 'model', 'totalTokens']);
    });
  traces
    .command('spans')
    .argument('<projectId>')
    .description('Spans, newest first, with their evaluation labels')
    .option('--trace-id <id>')
    .option('--span-kind <kind>', 'OpenInference span kind (LLM, CHAIN, …)')
    .option('--model <name>')
    .option('--from <iso>')
    .option('--to <iso>')
    .option('--filter <json>', 'a span filter (docs/traces.md)')
    .option('--eval-label <label>', 'spans with an evaluation result of this label')
    .option('--limit <n>', 'rows (default 50)', int)
    .action(async (projectId: string, f: { traceId?: string; spanKind?: string; model?: string; from?: string; to?: string; filter?: string; evalLabel?: string; limit?: number }) => {
      const o = cliOptions(global());
      const query = {
        limit: f.limit ?? 50,
        ...(f.traceId ? { traceId: f.traceId } : {}),
        ...(f.spanKind ? { spanKind: f.spanKind } : {}),
        ...(f.model ? { model: f.model } : {}),
        ...(f.from ? { from: f.from } : {}),
        ...(f.to ? { to: f.to } : {}),
        ...(f.filter ? { filter: f.filter } : {}),
        ...(f.evalLabel ? { evalLabel: f.evalLabel } : {}),
      };
      const page = data(await client(o).GET('/api/v1/projects/{projectId}/spans', { params: { path: { projectId }, query: query as never } }));
      const rows = page.data.map((s) => ({ ...s, labels: s.evaluations.map((e) => e.label).join(',') || '-' }));
      print(o.json ? page.data : rows, o.json, ['traceId', 'spanId', 'name', 'spanKind', 'model', 'durationMs', 'statusCode', 'labels']);
    });
  traces
    .command('show')
    .argument('<projectId>')
    .argument('<traceId>')
    .description('One trace as a span tree')
    .action(async (projectId: string, traceId: string) => {
      const o = cliOptions(global());
      const trace = data(await client(o).GET('/api/v1/projects/{projectId}/traces/{traceId}', { params: { path: { projectId, traceId } } }));
      if (o.json) return print(trace, true, []);
      const children = new Map<string | null, typeof trace.spans>();
      const ids = new Set(trace.spans.map((s) => s.spanId));
      for (const s of trace.spans) {
        const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : null;
        children.set(parent, [...(children.get(parent) ?? []), s]);
      }
      const lines: string[] = [`trace ${trace.traceId}  ${trace.spanCount} spans  ${trace.durationMs} ms${trace.truncated ? '  (truncated)' : ''}`];
      const walk = (parent: string | null, depth: number) => {
        for (const s of children.get(parent) ?? []) {
          const labels = s.evaluations.map((e) => e.label).join(',');
          lines.push(`${'  '.repeat(depth + 1)}${s.name} [${s.spanKind ?? s.otelKind}] ${s.durationMs.toFixed(1)} ms ${s.statusCode}${s.model ? ` ${s.model}` : ''}${labels ? `  eval: ${labels}` : ''}`);
          walk(s.spanId, depth + 1);
        }
      };
      walk(null, 0);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  traces
    .command('to-dataset')
    .argument('<projectId>')
    .argument('<datasetId>')
    .description('Add spans (by id, or by filter) to a dataset as items of kind trace')
    .option('--span-ids <ids>', 'comma-separated span ids')
    .option('--filter <json>', 'a span filter (docs/traces.md)')
    .option('--max <n>', 'at most this many spans', int)
    .action(async (projectId: string, datasetId: string, f: { spanIds?: string; filter?: string; max?: number }) => {
      const o = cliOptions(global());
      const body = {
        datasetId,
        ...(f.spanIds ? { spanIds: f.spanIds.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
        ...(f.filter ? { filter: JSON.parse(f.filter) as unknown } : {}),
        ...(f.max ? { max: f.max } : {}),
      };
      print(data(await client(o).POST('/api/v1/projects/{projectId}/spans/to-dataset', { params: { path: { projectId } }, body })), o.json, ['matched', 'created', 'existing']);
    });
  return traces;
}
