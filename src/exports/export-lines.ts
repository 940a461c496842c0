import { sql, type SQL } from 'drizzle-orm';

/**
 * The record every flat format writes (docs/exports.md), built by the database as one JSON line:
 * the same bytes `recordJson` writes from an `ExportRow` (keys in the same order, strings escaped
 * as `JSON.stringify` escapes them, `updatedAt` as `Date#toISOString` prints the truncated
 * millisecond, shapes and payload as their stored JSON text). JSONL and JSON stream these lines
 * instead of parsing rows into objects and serialising them again.
 *
 * `rows` is the export's row statement (`exportBatchSql`); its columns are read by name.
 */
export function recordLineSql(rows: SQL, extra: SQL = sql``): SQL {
  const str = (column: string) => sql.raw(`coalesce(to_json(r."${column}")::text, 'null')`);
  return sql`select r."taskItemId", ${sql.raw(`'{"itemId":'`)} || ${str('itemId')} || ${sql.raw(`',"externalId":'`)} || ${str('externalId')}
      || ${sql.raw(`',"taskId":'`)} || ${str('taskId')} || ${sql.raw(`',"status":'`)} || ${str('status')} || ${sql.raw(`',"annotatorId":'`)} || ${str('annotatorId')}
      || ${sql.raw(`',"updatedAt":"'`)} || to_char(timestamp '1970-01-01' + trunc(r."updatedMs") * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      || ${sql.raw(`'","shapes":'`)} || r."shapesJson" || ${sql.raw(`',"payload":'`)} || r."payloadJson" || '}' as line${extra}
    from (${rows}) r`;
}
