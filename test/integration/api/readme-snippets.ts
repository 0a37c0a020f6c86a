import { readFileSync } from "node:fs";
import { join } from "node:path";

const repoRoot = join(import.meta.dirname, "../../..");

/** The fenced block right after `<!-- snippet: NAME -->` in README.md, exactly as a reader copies it. */
export function readmeSnippet(name: string): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const marker = `<!-- snippet: ${name} -->\n`;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no snippet ${name}`);
  const block = /^```[a-z]*\n([\s\S]*?)^```$/m.exec(readme.slice(at + marker.length));
  if (!block?.[1]) throw new Error(`the snippet ${name} is not followed by a fenced block`);
  return block[1];
}
