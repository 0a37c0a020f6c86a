import { type ParseArgsConfig, parseArgs } from "node:util";
import { usageError } from "./exit.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** `parseArgs`, strict, with `--help`; a bad option is a usage error that names the command. */
export function parse<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(`${(error as Error).message}\nSee: runledger ${command} --help`);
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
