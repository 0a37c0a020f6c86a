import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import type { Execution } from "./types.js";

export type OutputFile = NonNullable<Execution["result"]>["files"][number];

/**
 * Writes a run's `result.files` under `folder`, each at its path (relative to the sandbox's
 * /home/user), and returns the paths written. A path that would land outside `folder` is refused.
 */
export function saveOutputFiles(files: OutputFile[], folder: string): string[] {
  const root = resolve(folder);
  const written: string[] = [];
  for (const file of files) {
    const target = resolve(root, file.path);
    const inside = relative(root, target);
    if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) throw new Error(`refusing to write ${file.path} outside ${root}`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.encoding === "base64" ? Buffer.from(file.content, "base64") : file.content);
    written.push(target);
  }
  return written;
}
