import { sql } from "drizzle-orm";
import type { Services } from "../context.js";

export interface OutstandingWork {
  /** Executions queued or running, events owed an attempt, or a run that ended within `recentMs`. */
  busy: boolean;
  /** When the oldest finished execution's inputs are due to be erased; null when none are kept. */
  nextPurgeAt: Date | null;
}

/**
 * Whether the sweep has anything to watch, in one statement over partial indexes: the sweeper
 * stops when this says no, so an idle deployment sends nothing to Postgres.
 */
export async function outstandingWork(
  { db, clock }: Pick<Services, "db" | "clock">,
  options: { recentMs: number; retentionMs: number },
): Promise<OutstandingWork> {
  const recent = new Date(clock.now().getTime() - options.recentMs).toISOString();
  const result = await db.execute<{ busy: boolean; oldest_kept: string | null }>(sql`
    select
      exists (select 1 from executions where status in ('queued', 'running'))
        or exists (select 1 from events where status = 'pending')
        or exists (select 1 from executions where inputs_purged_at is null and finished_at > ${recent}::timestamptz) as busy,
      (select min(finished_at) from executions where inputs_purged_at is null) as oldest_kept`);
  const row = result.rows[0];
  const oldest = row?.oldest_kept ? new Date(row.oldest_kept) : null;
  return {
    busy: row?.busy === true,
    nextPurgeAt: oldest ? new Date(oldest.getTime() + options.retentionMs) : null,
  };
}
