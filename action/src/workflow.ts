import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";

/** A workflow command's data, escaped as the runner expects. */
export const escapeData = (text: string) => text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

/** Sets outputs through the file the runner names, each as `name<<DELIMITER` … `DELIMITER`. */
export function setOutputs(outputs: Record<string, string>): void {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) {
    console.log("GITHUB_OUTPUT is not set: outputs are not recorded");
    return;
  }
  let text = "";
  for (const [name, value] of Object.entries(outputs)) {
    let delimiter = `ghadelimiter_${randomUUID()}`;
    while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomUUID()}`;
    text += `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  appendFileSync(file, text);
}

/**
 * Text the sandboxed code wrote, into the step's log with workflow commands switched off, so that
 * it cannot act as one: `begin` before the first of it, `end` after the last.
 */
export class UntrustedLog {
  private token: string | null = null;

  begin(title: string): void {
    if (this.token) return;
    this.token = randomUUID();
    console.log(`::group::${title}`);
    console.log(`::stop-commands::${this.token}`);
  }

  write(stream: "stdout" | "stderr", text: string): void {
    (stream === "stdout" ? process.stdout : process.stderr).write(text);
  }

  end(): void {
    if (!this.token) return;
    console.log("");
    console.log(`::${this.token}::`);
    console.log("::endgroup::");
    this.token = null;
  }
}

/** Appends markdown to the job's summary page, when the runner gives one. */
export function appendSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, markdown);
}

/** A fenced block that no run of backticks in `text` can close early. */
export function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${text}${text.endsWith("\n") ? "" : "\n"}${fence}\n`;
}
