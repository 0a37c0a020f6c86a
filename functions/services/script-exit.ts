import type { CodeOutcome } from "./sandbox-provider.js";

/**
 * A run ends as the script would. Python's `SystemExit` reaches us as the cell's error (the code
 * interpreter's kernel keeps running), and JavaScript's `process.exit` would end the kernel's
 * process without an answer, so the run would wait for its timeout: the code is given a
 * `process.exit` that ends the cell at once instead, with an error we read back here.
 */
const EXIT_ERROR = "ProcessExit";

// On the code's first line, so that the code's line numbers stay as written.
const EXIT_SHIMS: Record<string, string> = {
  javascript: `if (typeof process === "object") process.exit = (code) => { throw Object.assign(new Error(String(code ?? process.exitCode ?? 0)), { name: "${EXIT_ERROR}" }); };`,
  typescript: `if (typeof (globalThis as any).process === "object") (globalThis as any).process.exit = (code?: any): never => { throw Object.assign(new Error(String(code ?? (globalThis as any).process.exitCode ?? 0)), { name: "${EXIT_ERROR}" }); };`,
};

/** The code as sent to the interpreter. */
export function withExitShim(language: string, code: string): string {
  const shim = EXIT_SHIMS[language];
  return shim ? `${shim} ${code}` : code;
}

/**
 * The outcome as a script's: `SystemExit` or `process.exit` with no code or 0 succeeds with exit
 * code 0, with an integer n fails with exit code n, with anything else fails with exit code 1.
 */
export function asScriptExit(outcome: CodeOutcome): CodeOutcome {
  const { error } = outcome;
  if (!error || (error.name !== "SystemExit" && error.name !== EXIT_ERROR)) return outcome;
  const value = error.value.trim();
  if (value === "" || value === "None" || value === "undefined" || value === "null") return { ...outcome, error: null, exitCode: 0 };
  if (value === "False") return { ...outcome, error: null, exitCode: 0 };
  if (value === "True") return { ...outcome, error: null, exitCode: 1 };
  if (/^-?\d+$/.test(value)) return { ...outcome, error: null, exitCode: Number(value) };
  return { ...outcome, exitCode: 1 };
}
