/**
 * The ledger: every state change of an execution, and of the events it owes, is here and nowhere
 * else. Each is one call of a Postgres function (sources in db/functions/), so each is one
 * transaction and one round trip. Money moves only in these.
 *
 *   submit ──▶ queued ──claim (its sandbox exists)──▶ running ──finish──▶ succeeded | failed | timed_out | error
 *                │                  │  └──cancel──▶ canceled ──finish (what ran is billed)
 *                ├──cancel / revoke──▶ canceled        (no cost)
 *                └──fail──────────▶ error              (no cost)
 *   running past its deadline + grace, its runner gone ──reap──▶ error (billed its longest life)
 *
 * Every transition into a final, settled state inserts the execution's `execution.completed`
 * event into the outbox (`events`) when it has a webhook_url; delivery claims an attempt, records
 * it, and leaves the event delivered, failed or pending again.
 */
export { cancelExecution, failQueued, revokeKeyExecutions } from "./cancel.js";
export {
  type AttemptRecord,
  attemptsOf,
  claimAttempt,
  completedEventOf,
  giveUpEvent,
  listEvents,
  loadEvent,
  overdueEvents,
  recordAttempt,
  redeliverEvent,
} from "./outbox.js";
export { type OutstandingWork, outstandingWork } from "./outstanding.js";
export { purgeExpiredInputs } from "./purge.js";
export {
  type ExecutionRecord,
  getExecution,
  latestExecutions,
  listExecutions,
  loadExecution,
  type WebhookSummary,
  withWebhook,
} from "./read.js";
export { lostRuns, reapLostRun, SANDBOX_GRACE_MS } from "./reap.js";
export { claimExecution, finishExecution, type Outcome, platformErrorResult } from "./run.js";
export { type NewExecution, submitExecution } from "./submit.js";
