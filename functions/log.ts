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
