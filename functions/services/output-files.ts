import type { OutputFile } from "../../db/schema/index.js";
import { storableText } from "../text.js";

/** At most this many files come back from one run. */
export const MAX_OUTPUT_FILES = 32;

/** A file found in the sandbox: its bytes when they were read, only its size when it did not fit. */
export interface FoundFile {
  path: string;
  size: number;
  bytes: Uint8Array | null;
}

/**
 * Collects, inside the sandbox, the regular files under /home/user that match the patterns, as
 * bash globs (`*`, `?`, `[…]`, and `**` across folders; dot files included): a symlink, or a
 * file whose real path leaves /home/user, is skipped, never followed. Files beyond the count or
 * the byte budget are listed by size only. The patterns arrive in an environment variable and are
 * expanded without word splitting, so no pattern can run anything. Prints one line per file:
 * `F size path64 content64` or `S size path64`, tab-separated.
 */
export const COLLECTOR = `
shopt -s globstar nullglob dotglob
cd /home/user 2>/dev/null || exit 0
home=$(pwd -P)
budget=$RL_MAX_BYTES
count=0
declare -A seen
while IFS= read -r pattern; do
  [[ -z $pattern ]] && continue
  IFS=
  for f in $pattern; do
    [[ -n \${seen[$f]} ]] && continue
    seen[$f]=1
    [[ -L $f || ! -f $f ]] && continue
    real=$(realpath -e -- "$f" 2>/dev/null) || continue
    [[ $real == "$home"/* ]] || continue
    size=$(stat -c %s -- "$f" 2>/dev/null) || continue
    path64=$(printf %s "$f" | base64 -w0)
    if (( count >= RL_MAX_FILES || size > budget )); then
      printf 'S\t%s\t%s\n' "$size" "$path64"
      continue
    fi
    count=$((count + 1))
    budget=$((budget - size))
    printf 'F\t%s\t%s\t' "$size" "$path64"
    base64 -w0 -- "$f" 2>/dev/null
    printf '\n'
  done
  unset IFS
done <<< "$RL_PATTERNS"
exit 0
`;

/** The collector's environment for these patterns and limits. */
export function collectorEnv(patterns: string[], maxBytes: number): Record<string, string> {
  return { RL_PATTERNS: patterns.join("\n"), RL_MAX_FILES: String(MAX_OUTPUT_FILES), RL_MAX_BYTES: String(Math.max(0, maxBytes)) };
}

/** The collector's lines, read back. */
export function parseCollected(stdout: string): FoundFile[] {
  const found: FoundFile[] = [];
  for (const line of stdout.split("\n")) {
    const [kind, size, path64, content64] = line.split("\t");
    if ((kind !== "F" && kind !== "S") || !size || path64 === undefined) continue;
    found.push({
      path: storableText(new TextDecoder().decode(fromBase64(path64))),
      size: Number(size),
      bytes: kind === "F" ? fromBase64(content64 ?? "") : null,
    });
  }
  return found;
}

/**
 * The files as `result.files`, within `budget` bytes of JSON: utf8 when the bytes are valid UTF-8
 * (and hold no NUL, which the ledger cannot store), base64 otherwise. `truncated` when any was
 * left out.
 */
export function outputFiles(found: FoundFile[], budget: number): { files: OutputFile[]; truncated: boolean } {
  const files: OutputFile[] = [];
  let used = 0;
  let truncated = false;
  for (const file of found) {
    if (!file.bytes || files.length >= MAX_OUTPUT_FILES) {
      truncated = true;
      continue;
    }
    const text = utf8(file.bytes);
    const entry: OutputFile =
      text === null
        ? { path: file.path, size: file.size, encoding: "base64", content: toBase64(file.bytes) }
        : { path: file.path, size: file.size, encoding: "utf8", content: text };
    const size = JSON.stringify(entry).length;
    if (used + size > budget) {
      truncated = true;
      continue;
    }
    files.push(entry);
    used += size;
  }
  return { files, truncated };
}

function utf8(bytes: Uint8Array): string | null {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    return text.includes("\u0000") ? null : text;
  } catch {
    return null;
  }
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
