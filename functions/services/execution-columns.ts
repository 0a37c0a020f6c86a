import { getTableColumns } from "drizzle-orm";
import { type ExecutionRow, executions } from "../../db/schema/index.js";

// An execution row as the database's functions take and give it (keyed by column name), mapped
// by drizzle's own column definitions, so a new column needs no change here.
const COLUMNS = Object.entries(getTableColumns(executions));

/** A row keyed by column name, as JSON: what `jsonb_populate_record` reads. */
export function asColumns(row: ExecutionRow): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [property, column] of COLUMNS) {
    const value = row[property as keyof ExecutionRow];
    json[column.name] = typeof value === "bigint" ? value.toString() : value instanceof Date ? value.toISOString() : value;
  }
  return json;
}

/** A row as a raw query returns it (`select * from runledger_finish(…)`), typed as drizzle would. */
export function fromColumns(raw: Record<string, unknown>): ExecutionRow {
  const row: Record<string, unknown> = {};
  for (const [property, column] of COLUMNS) {
    const value = raw[column.name];
    row[property] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as ExecutionRow;
}
