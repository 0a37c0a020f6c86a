import { describeForLog } from "../log.js";
import type { RunHolderNamespace } from "./stubs.js";

/**
 * The run holders, one Durable Object per execution: the runs consumer hands each execution to
 * its holder, `wait` and live output ask it, and whatever ends an execution elsewhere tells it.
 */
export class RunHolders {
  constructor(private readonly namespace: RunHolderNamespace) {}

  /** Hands the execution to its holder, which waits for a slot, then runs it; returns at once. */
  start(executionId: string, keyId: string): Promise<void> {
    return this.namespace.getByName(executionId).start(executionId, keyId);
  }

  /** Resolves when the execution reaches a final status, or after `timeoutMs`. */
  async waitForFinal(executionId: string, timeoutMs: number): Promise<void> {
    await this.namespace.getByName(executionId).waitForFinal(timeoutMs);
  }

  /** Tells holders that their executions were ended outside them (a queued cancel, a revoke, a reap). */
  async settled(executionIds: string[]): Promise<void> {
    await Promise.all(
      executionIds.map((id) =>
        this.namespace
          .getByName(id)
          .settled(id)
          .catch((error: unknown) => console.error(`telling ${id}'s holder it ended failed: ${describeForLog(error)}`)),
      ),
    );
  }

  /** The execution's live events as Server-Sent Events, after `afterId` (all when null). */
  events(executionId: string, afterId: number | null): Promise<Response> {
    const query = new URLSearchParams({ id: executionId, ...(afterId === null ? {} : { after: String(afterId) }) });
    return this.namespace.getByName(executionId).fetch(new Request(`https://run-holder/events?${query}`));
  }
}
