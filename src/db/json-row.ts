import { getTableColumns, type Table } from 'drizzle-orm';

type Columns = ReadonlyArray<readonly [string, { name: string; mapFromDriverValue: (v: unknown) => unknown }]>;

const columnsByTable = new WeakMap<Table, Columns>();

/** A table's columns as `fromJsonRow` takes them (read once per table). */
export function jsonRowColumns(table: Table): Columns {
  let columns = columnsByTable.get(table);
  if (!columns) {
    columns = Object.entries(getTableColumns(table)) as unknown as Columns;
    columnsByTable.set(table, columns);
  }
  return columns;
}

/**
 * A row rebuilt from its `row_to_json` form through the columns' own mappers (dates, JSON,
 * numbers), as the driver's row would be: for values a statement reads as JSON inside another
 * statement (the authenticating statement's `preload`, src/api/access.ts).
 */
export function fromJsonRow<T>(columns: Columns, json: Record<string, unknown>): T {
  return Object.fromEntries(columns.map(([key, column]) => {
    const value = json[column.name];
    return [key, value === null || value === undefined ? null : column.mapFromDriverValue(value)];
  })) as T;
}
