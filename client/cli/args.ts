import { type ParseArgsConfig, parseArgs } from "node:util";
import { usageError } from "./exit.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** How many single-character edits (insert, delete, substitute, swap two neighbours) turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The candidate closest to `word`, if it is close enough to be what was meant. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  const prefix = candidates.filter((c) => c.startsWith(word));
  if (word.length >= 2 && prefix.length === 1) return prefix[0];
  return best.distance <= Math.max(1, Math.floor(best.candidate.length / 3)) ? best.candidate : undefined;
}

/**
 * `parseArgs`, strict, with `--help`. A bad option is a usage error in the CLI's own words, naming the
 * command and, for a typo, the option that was probably meant.
 */
export function parse<O extends Options>(command: string, argv: string[], options: O) {
  const all: Options = { ...options, help: { type: "boolean", short: "h" } };
  const see = `\nSee: runledger ${command} --help`;
  const { tokens } = parseArgs({ args: argv, options: all, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const spec = all[token.name];
    if (!spec) {
      const longNames = Object.keys(all).map((name) => `--${name}`);
      const suggestion = token.rawName.startsWith("--") ? closest(token.rawName, longNames) : undefined;
      throw usageError(`${command}: unknown option ${token.rawName}${suggestion ? `; did you mean ${suggestion}?` : ""}${see}`);
    }
    const named = token.rawName.startsWith("--") ? token.rawName : `${token.rawName} (--${token.name})`;
    if (spec.type === "string" && token.value === undefined) throw usageError(`${command}: ${named} needs a value${see}`);
    if (spec.type === "string" && !token.inlineValue && token.value?.startsWith("-") && token.value !== "-") {
      throw usageError(
        `${command}: ${named} needs a value, not the option ${token.value} (write ${token.rawName}=VALUE for a value that starts with -)${see}`,
      );
    }
    if (spec.type === "boolean" && token.inlineValue) throw usageError(`${command}: ${named} takes no value${see}`);
  }
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    // What the checks above do not catch, e.g. a value that looks like an option (`--timeout --wait`).
    const message = (error as Error).message.split(/\.\s/)[0] ?? "bad arguments";
    throw usageError(`${command}: ${message}${see}`);
  }
}

/** `K=V` pairs into an object; a pair without `=` is a usage error. */
export function pairs(values: string[] | undefined, flag: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values ?? []) {
    const at = value.indexOf("=");
    if (at <= 0) throw usageError(`${flag} takes NAME=VALUE, not '${value}'`);
    result[value.slice(0, at)] = value.slice(at + 1);
  }
  return result;
}

/** A whole number from a flag, or a usage error. */
export function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw usageError(`${flag} takes a whole number, not '${value}'`);
  return Number(value);
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw usageError(`${flag} takes one of ${allowed.join(", ")}, not '${value}'`);
  return value as T;
}
