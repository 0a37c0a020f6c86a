import type { Services } from "../context.js";
import type { Env, RunMessage } from "../env.js";
import { describeForLog } from "../log.js";
import { claimExecution, finishExecution, recordSandbox } from "../services/ledger.js";
import { runExecution } from "../services/run-execution.js";
import { buildServices } from "../services.js";

/** The run queue's consumer: each message names one execution to run exactly once. */
export async function consumeRuns(batch: MessageBatch<RunMessage>, env: Env, ctx: ExecutionContext): Promise<void> {
  const { services, close } = await buildServices(env);
  try {
    await Promise.all(
      batch.messages.map(async (message) => {
        try {
          await runOne(services, message.body.executionId);
          message.ack();
        } catch (error) {
          console.error(`run ${message.body.executionId} (attempt ${message.attempts}) failed: ${describeForLog(error)}`);
          message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
        }
      }),
    );
  } finally {
    ctx.waitUntil(close());
  }
}

async function runOne(services: Services, executionId: string): Promise<void> {
  const { db, clock, config, sandboxes } = services;
  // Claiming is a conditional update, so a redelivered message finds nothing to do.
  const row = await claimExecution(db, executionId, clock.now());
  if (!row) return;
  const outcome = await runExecution(
    row,
    sandboxes,
    clock,
    { outputBytes: config.OUTPUT_LIMIT_BYTES, resultsBytes: config.RESULTS_LIMIT_BYTES },
    { sandboxStarted: (sandboxId) => recordSandbox(db, row.id, sandboxId) },
  );
  await finishExecution(db, row.id, outcome);
}
