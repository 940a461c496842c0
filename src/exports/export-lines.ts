import { sql, type SQL } from 'drizzle-orm';

/**
 * The record every flat format writes (docs/exports.md), built by the database as one JSON line:
 * the same bytes `recordJson` writes from an `ExportRow` (keys in the same order, strings escaped
 * as `JSON.stringify` escapes them, `updatedAt` as `Date#toISOString` prints the truncated
 * millisecond, shapes and payload as their stored JSON text). JSONL and JSON stream these lines
 * instead of parsing rows into objects and serialising them again.
 *
 * `rows` is the export's row statement (`exportBatchSql`); its columns are read by name. The
 * line is the first column (`line`), then `extra` (e.g. `, r."taskItemId"`) if any.
 * The lines come in the rows' order: a projection over an ordered subquery, which PostgreSQL
 * neither flattens (it has an ORDER BY) nor sorts again.
 */
export function recordLineSql(rows: SQL, extra: SQL = sql``): SQL {
  const str = (column: string) => sql.raw(`coalesce(to_json(r."${column}")::text, 'null')`);
  // Ids are uuids as text (hex digits and dashes): quoted as they are, without to_json's escaping pass.
  const id = (column: string) => sql.raw(`coalesce('"' || r."${column}" || '"', 'null')`);
  return sql`select ${sql.raw(`'{"itemId":'`)} || ${id('itemId')} || ${sql.raw(`',"externalId":'`)} || ${str('externalId')}
      || ${sql.raw(`',"taskId":'`)} || ${id('taskId')} || ${sql.raw(`',"status":'`)} || ${str('status')} || ${sql.raw(`',"annotatorId":'`)} || ${id('annotatorId')}
      || ${sql.raw(`',"updatedAt":"'`)} || to_char(timestamp '1970-01-01' + trunc(r."updatedMs") * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      || ${sql.raw(`'","shapes":'`)} || r."shapesJson" || ${sql.raw(`',"payload":'`)} || coalesce(r."payloadJson", 'null') || '}' as line${extra}
    from (${rows}) r`;
}
