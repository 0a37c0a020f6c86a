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

/** Rows as columns separated by two spaces, the first column left-aligned, the rest right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows
    .map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  "))
    .join("\n");
}
