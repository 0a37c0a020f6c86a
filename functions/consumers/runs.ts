import type { Services } from "../context.js";
import {
  attachSandbox,
  claimExecution,
  completedEventOf,
  failQueued,
  finishExecution,
  type Outcome,
  platformErrorResult,
} from "../ledger/index.js";
import type { QueueBatch, RunMessage } from "../queues.js";
import { DATABASE_WRITES, retry } from "../retry.js";
import { deliverEvent, queueDeliveries } from "../services/event-delivery.js";
import { runExecution } from "../services/run-execution.js";
import { openInputs } from "../services/run-inputs.js";
import { eachMessage } from "./each-message.js";

/** The run queue's consumer: each message names one execution to run exactly once. */
export async function consumeRuns(batch: QueueBatch<RunMessage>, services: Services): Promise<void> {
  await eachMessage(
    batch,
    (body) => `running ${body.executionId}`,
    (body) => runOne(services, body.executionId),
  );
}

async function runOne(services: Services, executionId: string): Promise<void> {
  // Claiming is a conditional update, so a redelivered message finds nothing to do.
  const row = await claimExecution(services, executionId);
  if (!row) return;
  const inputs = await openInputs(services.secrets, row).catch(() => null);
  if (!inputs) {
    // Sealed under another key-encryption key: it can never run. It ends now rather than wait for the reaper.
    await retry(DATABASE_WRITES, () => finishExecution(services, row.id, notRunnable(services, "the run's inputs could not be opened")));
    return;
  }
  const { outcome, killed } = await runExecution({ ...row, ...inputs }, services, {
    sandboxStarted: (sandboxId) => retry(DATABASE_WRITES, () => attachSandbox(services, row.id, sandboxId)),
  });
  try {
    // The run is over: recording it must not be lost to a passing database fault. Finishing owes
    // the webhook in the outbox, so if we die before the first attempt, the sweep makes it.
    const finished = await retry(DATABASE_WRITES, () => finishExecution(services, row.id, outcome));
    const event = finished?.webhookUrl ? await completedEventOf(services, finished.id) : null;
    if (event) await deliverEvent(services, event.id);
  } finally {
    await killed;
  }
}

function notRunnable({ clock }: Pick<Services, "clock">, reason: string): Outcome {
  return {
    status: "error",
    finishedAt: clock.now(),
    durationMs: null,
    sandboxMs: null,
    costMicros: 0n,
    result: platformErrorResult(reason),
  };
}

/** Runs the queue gave up on: a still-queued execution ends as `error`, its reservation released. */
export async function consumeDeadRuns(batch: QueueBatch<RunMessage>, services: Services): Promise<void> {
  for (const message of batch.messages) {
    const failed = await failQueued(services, message.body.executionId, "the run could not be started after repeated attempts");
    const event = failed?.webhookUrl ? await completedEventOf(services, failed.id) : null;
    if (event) await queueDeliveries(services, [event.id]);
    message.ack();
  }
}
