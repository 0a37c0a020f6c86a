/**
 * The Durable Objects' RPC faces, as the rest of the Worker calls them: one per class in this
 * folder, and the part of its namespace binding that is used.
 */

/** One execution's run holder (run-holder.ts). */
export interface RunHolderStub {
  start(executionId: string, keyId: string): Promise<void>;
  granted(executionId: string): Promise<void>;
  waitForFinal(timeoutMs: number): Promise<boolean>;
  settled(executionId: string): Promise<void>;
  fetch(request: Request): Promise<Response>;
}

export interface RunHolderNamespace {
  getByName(name: string): RunHolderStub;
}

/** The sandbox governor (sandbox-governor.ts): one object, `global`. */
export interface GovernorStub {
  acquire(executionId: string, keyId: string): Promise<"granted" | "queued">;
  renew(executionId: string): Promise<boolean>;
  release(executionId: string): Promise<void>;
  usage(): Promise<{ held: number; waiting: number; max: number }>;
}

export interface GovernorNamespace {
  getByName(name: string): GovernorStub;
}

/** The sweeper (sweeper.ts): one object, `global`. */
export interface SweeperStub {
  wake(): Promise<number>;
  sweep(): Promise<string>;
}

export interface SweeperNamespace {
  getByName(name: string): SweeperStub;
}
