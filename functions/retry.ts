/**
 * The one way runledger tries something again: a named policy of attempts and exponential delays,
 * and which failures are worth another attempt. Every retry loop in the Worker is one of these.
 */
export interface RetryPolicy {
  attempts: number;
  /** The wait after the first failure; each later one doubles, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs?: number;
  /** Whether a failure may succeed if tried again; all may, by default. */
  retryable?: (error: unknown) => boolean;
}

/** Waits `ms`, or less if `signal` aborts; passed in so that tests can control time. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** The wait before attempt `attempt + 1`, after `attempt` failures (1-based). */
export function backoffMs(policy: Pick<RetryPolicy, "firstDelayMs" | "maxDelayMs">, attempt: number): number {
  return Math.min(policy.firstDelayMs * 2 ** (attempt - 1), policy.maxDelayMs ?? Number.POSITIVE_INFINITY);
}

/** Runs `work` until it succeeds, a failure is not retryable, or the attempts run out (the last failure is thrown). */
export async function retry<T>(policy: RetryPolicy, work: (attempt: number) => Promise<T>, wait: Sleep = sleep): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !(policy.retryable?.(error) ?? true)) throw error;
      await wait(backoffMs(policy, attempt));
    }
  }
}

/** A database failure that the same statement may well survive a moment later. */
export function isTransientDatabaseError(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === "string" ? cause.code : "";
  if (/^(08|53|57P0|40)/.test(code)) return true;
  const text = error instanceof Error ? `${error.message} ${String(cause?.message ?? "")}` : "";
  return /websocket|ECONNREFUSED|connection terminated|Connection closed|too many clients|the database system is/i.test(text);
}

/** Recording what happened (a run's end, an attempt) through a passing database fault. */
export const DATABASE_WRITES: RetryPolicy = { attempts: 5, firstDelayMs: 200, retryable: isTransientDatabaseError };
/** Creating a sandbox; a capacity refusal (429, 503) is not retried here but waited out (SANDBOX_CAPACITY). */
export const SANDBOX_CREATES: RetryPolicy = { attempts: 3, firstDelayMs: 250 };
/** Waiting for the sandbox provider to have room again: as long as it takes, backing off to 10 s. */
export const SANDBOX_CAPACITY = { firstDelayMs: 500, maxDelayMs: 10_000 };
/** Confirming a sandbox's kill; past the last attempt the leak sweep finds it. */
export const SANDBOX_KILLS: RetryPolicy = { attempts: 3, firstDelayMs: 200 };
/** A queue message whose handling failed, redelivered with this delay (seconds), to the dead-letter queue in the end. */
export const QUEUE_MESSAGES = { firstDelayMs: 2000, maxDelayMs: 300_000 };
