import { sql } from "drizzle-orm";
import type { Services } from "../context.js";

/**
 * Erases the code and inputs of executions that finished more than `retentionMs` ago, a bounded
 * batch at a time; every figure of the ledger stays. Returns how many were erased.
 */
export async function purgeExpiredInputs(
  { db, clock }: Pick<Services, "db" | "clock">,
  retentionMs: number,
  batch = 1000,
): Promise<number> {
  const now = clock.now();
  const before = new Date(now.getTime() - retentionMs);
  const result = await db.execute<{ purged: number }>(
    sql`select runledger_purge_inputs(${before.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz, ${batch}) as purged`,
  );
  return result.rows[0]?.purged ?? 0;
}
