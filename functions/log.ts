/**
 * What a log may say of a failure: a database error's code and message, never the failed query's
 * parameters (they can hold the caller's code or secrets' ciphertexts).
 */
export function describeForLog(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.message === "string") return `database error ${String(cause.code ?? "")}: ${cause.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n")[0]?.slice(0, 200)}`;
  return "non-error thrown";
}

/** A database failure that the same statement may well survive a moment later. */
export function isTransientDatabaseError(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === "string" ? cause.code : "";
  if (/^(08|53|57P0|40)/.test(code)) return true;
  const text = error instanceof Error ? `${error.message} ${String(cause?.message ?? "")}` : "";
  return /websocket|ECONNREFUSED|connection terminated|Connection closed|too many clients|the database system is/i.test(text);
}

/** Runs `work` again after a short pause while it fails transiently; the last failure is thrown. */
export async function retryTransient<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isTransientDatabaseError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}
