import { isFinalStatus } from "../../db/schema/enums.js";
import type { Services } from "../context.js";
import { type ExecutionRecord, loadExecution } from "../ledger/index.js";

/**
 * `?wait=N`: the execution as soon as it is final, or as it is after `seconds`. Its run holder
 * wakes the wait the moment the final status is in the ledger: there is no polling interval.
 */
export async function waitForFinal(
  services: Pick<Services, "db" | "holders">,
  execution: ExecutionRecord,
  seconds: number,
): Promise<ExecutionRecord> {
  if (isFinalStatus(execution.status) || seconds <= 0) return execution;
  await services.holders.waitForFinal(execution.id, seconds * 1000);
  return (await loadExecution(services, execution.id)) ?? execution;
}
