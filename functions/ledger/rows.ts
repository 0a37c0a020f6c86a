import { getTableColumns, type Table } from "drizzle-orm";
import { type EventRow, type ExecutionRow, events, executions } from "../../db/schema/index.js";

// Rows as the ledger's SQL functions take and give them (JSON or raw rows keyed by column name),
// mapped by drizzle's own column definitions, so a new column needs no change here.

function mapping<T extends Table>(table: T) {
  const columns = Object.entries(getTableColumns(table));
  return {
    /** A row keyed by column name, as JSON: what `jsonb_populate_record` reads. */
    toColumns(row: T["$inferSelect"]): Record<string, unknown> {
      const json: Record<string, unknown> = {};
      for (const [property, column] of columns) {
        const value = (row as Record<string, unknown>)[property];
        json[column.name] = typeof value === "bigint" ? value.toString() : value instanceof Date ? value.toISOString() : value;
      }
      return json;
    },
    /** A row as a raw query or `to_jsonb` gives it, typed as drizzle would. */
    fromColumns(raw: Record<string, unknown>): T["$inferSelect"] {
      const row: Record<string, unknown> = {};
      for (const [property, column] of columns) {
        const value = raw[column.name];
        row[property] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
      }
      return row as T["$inferSelect"];
    },
  };
}

const executionColumns = mapping(executions);
const eventColumns = mapping(events);

export const executionToColumns = (row: ExecutionRow) => executionColumns.toColumns(row);
export const executionFromColumns = (raw: Record<string, unknown>): ExecutionRow => executionColumns.fromColumns(raw);
export const eventFromColumns = (raw: Record<string, unknown>): EventRow => eventColumns.fromColumns(raw);
