import { readFileSync } from "node:fs";
import { configError, EXIT } from "./exit.js";

/** Everything on standard input. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A local file's bytes, or a configuration error that names it. */
export function readLocal(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw configError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Prints the value as indented JSON; the exit status of a command that did what it was asked. */
export function printJson(value: unknown): number {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  return EXIT.ok;
}

/** Prints a command's help; exit status 0. */
export function printHelp(text: string): number {
  console.log(text);
  return EXIT.ok;
}

/**
 * Rows as columns separated by two spaces. `align` has one letter per column, `l` or `r`; by default
 * the first column is left-aligned and the rest right-aligned. The last column is not padded.
 */
export function table(rows: string[][], align?: string): string {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  const left = (i: number) => (align ? align[i] !== "r" : i === 0);
  return rows
    .map((row) =>
      row
        .map((cell, i) => (left(i) ? (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)) : cell.padStart(widths[i] ?? 0)))
        .join("  "),
    )
    .join("\n");
}

/** JSON when asked (`--json`) or when standard output is not a terminal (a pipe, a file): tables are for people. */
export function wantsJson(flag: boolean | undefined): boolean {
  return flag === true || !process.stdout.isTTY;
}

/** A money string as `$0.000148`, or `-` when there is none yet. */
export const usd = (value: string | null | undefined) => (value == null ? "-" : `$${value}`);
