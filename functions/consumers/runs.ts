import type { Services } from "../context.js";
import type { RunMessage } from "../env.js";
import { retryTransient } from "../log.js";
import { claimExecution, failQueued, finishExecution, recordSandbox } from "../services/ledger.js";
import { runExecution } from "../services/run-execution.js";
import { openInputs } from "../services/run-inputs.js";
import { deliverWebhook, scheduleDelivery } from "../services/webhook-delivery.js";
import { deliveryDeps } from "./deliveries.js";
import { eachMessage } from "./each-message.js";

/** The run queue's consumer: each message names one execution to run exactly once. */
export async function consumeRuns(batch: MessageBatch<RunMessage>, services: Services): Promise<void> {
  await eachMessage(batch, "run", 60, (body) => runOne(services, body.executionId));
}

async function runOne(services: Services, executionId: string): Promise<void> {
  const { db, clock, config, sandboxes, secrets } = services;
  // Claiming is a conditional update, so a redelivered message finds nothing to do.
  const row = await claimExecution(db, executionId, clock.now());
  if (!row) return;
  const { outcome, killed } = await runExecution(
    { ...row, ...(await openInputs(secrets, row)) },
    sandboxes,
    clock,
    { outputBytes: config.OUTPUT_LIMIT_BYTES, resultsBytes: config.RESULTS_LIMIT_BYTES },
    { sandboxStarted: (sandboxId) => retryTransient(() => recordSandbox(db, row.id, sandboxId)) },
  );
  try {
    // The run is over: recording it must not be lost to a passing database fault. Finishing also
    // marks the webhook due, so if we die before sending it the sweep does.
    const finished = await retryTransient(() => finishExecution(db, row.id, outcome));
    // The first attempt goes out at once, on this consumer's open connection; retries go through
    // the delivery queue.
    if (finished?.webhookUrl) await deliverWebhook(deliveryDeps(services), finished.id, finished);
  } finally {
    await killed;
  }
}

/** Runs the queue gave up on: a still-queued execution ends as `error`, its reservation released. */
export async function consumeDeadRuns(batch: MessageBatch<RunMessage>, services: Services): Promise<void> {
  const { db, clock, deliveries } = services;
  for (const message of batch.messages) {
    const failed = await failQueued(db, message.body.executionId, clock.now(), "the run could not be started after repeated attempts");
    if (failed?.webhookUrl) await scheduleDelivery(db, deliveries, failed.id, clock.now());
    message.ack();
  }
}
