import type { ExecutionRecord } from "../ledger/index.js";
import { executionView } from "../services/execution-view.js";
import { EventLog } from "./event-log.js";

/** A finished execution's events, rebuilt from the ledger when its live log is gone: the stored output, then `end`. */
export function replayFromLedger(record: ExecutionRecord): EventLog {
  const log = new EventLog();
  log.append("status", { status: record.status });
  if (record.result?.stdout) log.append("stdout", { text: record.result.stdout });
  if (record.result?.stderr) log.append("stderr", { text: record.result.stderr });
  for (const result of record.result?.results ?? []) log.append("result", result);
  log.append("end", executionView(record));
  return log;
}
