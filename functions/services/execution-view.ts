import type { ExecutionRecord } from "../ledger/read.js";
import { microsToUsd } from "../money.js";
import type { Execution } from "../schemas/execution.js";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A ledger row as the API shows it. */
export function executionView(row: ExecutionRecord): Execution {
  return {
    id: row.id,
    status: row.status,
    language: row.language as Execution["language"],
    template: row.template,
    timeout_ms: row.timeoutMs,
    internet: row.internet,
    tags: row.tags,
    metadata: row.metadata,
    created_at: row.createdAt.toISOString(),
    started_at: iso(row.startedAt),
    finished_at: iso(row.finishedAt),
    duration_ms: row.durationMs,
    sandbox_ms: row.sandboxMs,
    reserved_usd: microsToUsd(row.reservedMicros),
    cost_usd: row.costMicros === null ? null : microsToUsd(row.costMicros),
    result: row.result && {
      stdout: row.result.stdout,
      stderr: row.result.stderr,
      text: row.result.text,
      results: row.result.results,
      error: row.result.error,
      exit_code: row.result.exit_code,
      truncated: row.result.truncated,
      files: row.result.files ?? [],
    },
    webhook: row.webhook,
  };
}
