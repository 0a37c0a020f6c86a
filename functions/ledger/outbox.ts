import { and, asc, desc, eq, lt, sql } from "drizzle-orm";
import type { DeliveryStatus } from "../../db/schema/enums.js";
import { type EventRow, events, webhookDeliveries } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { eventFromColumns } from "./rows.js";

type Ledger = Pick<Services, "db" | "clock">;

/** The event an execution's final state owes its webhook, if it owes one yet. */
export async function completedEventOf({ db }: Pick<Services, "db">, executionId: string): Promise<EventRow | null> {
  const [row] = await db.select().from(events).where(eq(events.executionId, executionId));
  return row ?? null;
}

export async function loadEvent({ db }: Pick<Services, "db">, id: string): Promise<EventRow | null> {
  const [row] = await db.select().from(events).where(eq(events.id, id));
  return row ?? null;
}

/**
 * pending → in flight: one attempt claimed, its number counted, and a lease until `leaseUntil`
 * that keeps the sweep away. Null for an event that is not pending or not due yet.
 */
export async function claimAttempt(
  { db, clock }: Ledger,
  eventId: string,
  leaseUntil: Date,
): Promise<{ event: EventRow; webhookSecretCiphertext: string } | null> {
  const result = await db.execute<{ runledger_claim_attempt: Record<string, unknown> }>(
    sql`select runledger_claim_attempt(${eventId}, ${clock.now().toISOString()}::timestamptz, ${leaseUntil.toISOString()}::timestamptz)`,
  );
  const raw = result.rows[0]?.runledger_claim_attempt;
  if (!raw) return null;
  return { event: eventFromColumns(raw), webhookSecretCiphertext: String(raw.webhook_secret_ciphertext) };
}

export interface AttemptRecord {
  attempt: number;
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** Where the event stands after it; `pending` with the time its next attempt is due. */
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
}

/** in flight → delivered, failed, or pending again: the attempt logged and the event moved, in one statement. */
export async function recordAttempt({ db }: Pick<Services, "db">, eventId: string, record: AttemptRecord): Promise<void> {
  await db.execute(sql`select runledger_record_attempt(${eventId}, ${record.attempt}, ${record.at.toISOString()}::timestamptz,
    ${record.statusCode}, ${record.error}, ${record.durationMs}, ${record.status}, ${record.nextAttemptAt?.toISOString() ?? null}::timestamptz)`);
}

/** delivered or failed → pending: one more delivery (same webhook-id), its schedule started afresh. */
export async function redeliverEvent({ db, clock }: Ledger, eventId: string): Promise<EventRow | null> {
  const result = await db.execute<Record<string, unknown>>(
    sql`select * from runledger_redeliver(${eventId}, ${clock.now().toISOString()}::timestamptz)`,
  );
  const [raw] = result.rows;
  return raw ? eventFromColumns(raw) : null;
}

/** Events whose next attempt is overdue by more than `graceMs`: their queue message was lost. */
export async function overdueEvents({ db, clock }: Ledger, graceMs: number, limit = 500): Promise<string[]> {
  const before = new Date(clock.now().getTime() - graceMs);
  const rows = await db
    .select({ id: events.id })
    .from(events)
    .where(and(eq(events.status, "pending"), lt(events.nextAttemptAt, before)))
    .limit(limit);
  return rows.map((row) => row.id);
}

/** Every attempt at an event, oldest first. */
export function attemptsOf({ db }: Pick<Services, "db">, eventId: string) {
  return db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId)).orderBy(asc(webhookDeliveries.attempt));
}

/** pending → failed: the dead-letter path, for an event whose deliveries could not even be attempted. */
export async function giveUpEvent({ db }: Pick<Services, "db">, eventId: string): Promise<void> {
  await db
    .update(events)
    .set({ status: "failed", nextAttemptAt: null })
    .where(and(eq(events.id, eventId), eq(events.status, "pending")));
}

/** A key's events, newest first, a page at a time; the cursor names the last one seen (its time and id). */
export async function listEvents(
  { db }: Pick<Services, "db">,
  keyId: string,
  options: { limit: number; cursor?: { createdAt: Date; id: string } },
): Promise<{ rows: EventRow[]; next: { createdAt: Date; id: string } | null }> {
  const conditions = [eq(events.keyId, keyId)];
  const { cursor } = options;
  if (cursor) conditions.push(sql`(${events.createdAt}, ${events.id}) < (${cursor.createdAt.toISOString()}::timestamptz, ${cursor.id})`);
  const rows = await db
    .select()
    .from(events)
    .where(and(...conditions))
    .orderBy(desc(events.createdAt), desc(events.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > options.limit && last ? { createdAt: last.createdAt, id: last.id } : null };
}
