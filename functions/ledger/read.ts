import { and, arrayContains, desc, eq, getTableColumns, lt } from "drizzle-orm";
import type { DeliveryStatus, ExecutionStatus } from "../../db/schema/enums.js";
import { type EventRow, type ExecutionRow, events, executions } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { ApiError } from "../errors.js";

/** An execution's webhook as the API shows it: the outbox's event, or, before one is owed, pending. */
export interface WebhookSummary {
  url: string;
  status: DeliveryStatus;
  attempts: number;
}

/** A ledger row with its webhook's state. */
export type ExecutionRecord = ExecutionRow & { webhook: WebhookSummary | null };

export function withWebhook(row: ExecutionRow, event: Pick<EventRow, "status" | "attempts"> | null): ExecutionRecord {
  const webhook = row.webhookUrl ? { url: row.webhookUrl, status: event?.status ?? "pending", attempts: event?.attempts ?? 0 } : null;
  return { ...row, webhook };
}

type Reader = Pick<Services, "db">;

const recordColumns = { ...getTableColumns(executions), eventStatus: events.status, eventAttempts: events.attempts };

function fromJoined({
  eventStatus,
  eventAttempts,
  ...row
}: ExecutionRow & { eventStatus: DeliveryStatus | null; eventAttempts: number | null }) {
  return withWebhook(row, eventStatus === null ? null : { status: eventStatus, attempts: eventAttempts ?? 0 });
}

function selectRecords({ db }: Reader) {
  return db.select(recordColumns).from(executions).leftJoin(events, eq(events.executionId, executions.id));
}

/** One execution of a key: another key's, or an unknown id, is not found. */
export async function getExecution(deps: Reader, keyId: string, id: string): Promise<ExecutionRecord> {
  const [row] = await selectRecords(deps).where(and(eq(executions.id, id), eq(executions.keyId, keyId)));
  if (!row) throw new ApiError("not_found", `no execution ${id}`);
  return fromJoined(row);
}

export async function loadExecution(deps: Reader, id: string): Promise<ExecutionRecord | null> {
  const [row] = await selectRecords(deps).where(eq(executions.id, id));
  return row ? fromJoined(row) : null;
}

/** A key's executions, newest first, a page at a time. */
export async function listExecutions(
  deps: Reader,
  keyId: string,
  options: { status?: ExecutionStatus; tag?: string; limit: number; cursor?: string },
): Promise<{ rows: ExecutionRecord[]; nextCursor: string | null }> {
  const conditions = [eq(executions.keyId, keyId)];
  if (options.status) conditions.push(eq(executions.status, options.status));
  if (options.tag) conditions.push(arrayContains(executions.tags, [options.tag]));
  if (options.cursor) conditions.push(lt(executions.id, options.cursor));
  const rows = await selectRecords(deps)
    .where(and(...conditions))
    .orderBy(desc(executions.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit).map(fromJoined);
  return { rows: page, nextCursor: rows.length > options.limit ? (page.at(-1)?.id ?? null) : null };
}

/** A key's latest executions, newest first, without their code or output: a summary line each. */
export async function latestExecutions({ db }: Reader, keyId: string, limit: number) {
  return db
    .select({
      id: executions.id,
      createdAt: executions.createdAt,
      language: executions.language,
      template: executions.template,
      status: executions.status,
      durationMs: executions.durationMs,
      costMicros: executions.costMicros,
    })
    .from(executions)
    .where(eq(executions.keyId, keyId))
    .orderBy(desc(executions.id))
    .limit(limit);
}
