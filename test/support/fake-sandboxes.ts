import type { CodeOutcome, OutputSink, RunningSandbox, SandboxProvider } from "../../functions/services/sandbox-provider.js";

/** How a fake sandbox behaves when its code runs. */
export type Script = (output: OutputSink) => Promise<CodeOutcome>;

/**
 * A sandbox provider for unit tests of the run's orchestration: creates fail as told, code runs
 * as scripted, and every create and kill is recorded. (The real provider is tested against the
 * local sandbox host; this stands in for it where timing and failures must be exact.)
 */
export class FakeSandboxes implements SandboxProvider {
  readonly created: string[] = [];
  readonly killed: string[] = [];
  createFailures = 0;
  killFailures = 0;
  script: Script = async () => ({ text: null, results: [], error: null, exitCode: 0 });

  async create(): Promise<RunningSandbox> {
    if (this.createFailures > 0) {
      this.createFailures -= 1;
      throw new Error("500: Failed to place sandbox");
    }
    const id = `sbx_${this.created.length + 1}`;
    this.created.push(id);
    const provider = this;
    return {
      id,
      async writeFile() {},
      runCode: (_code, options) => provider.script(options.output),
      runCommand: (_code, options) => provider.script(options.output),
      async collectFiles() {
        return [];
      },
      async kill() {
        if (provider.killFailures > 0) {
          provider.killFailures -= 1;
          throw new Error("502: kill failed");
        }
        provider.killed.push(id);
        return true;
      },
    };
  }

  async kill(id: string): Promise<boolean> {
    this.killed.push(id);
    return true;
  }

  async listOwned() {
    return [];
  }
}

/** A clock that moves only when told, and a sleep that moves it instead of waiting. */
export function fakeTime(start = new Date("2026-12-01T10:00:00Z")) {
  let now = start.getTime();
  return {
    clock: { now: () => new Date(now) },
    advance(ms: number) {
      now += ms;
    },
    async sleep(ms: number, signal?: AbortSignal) {
      // Let whatever is already settled win a race against this wait.
      for (let i = 0; i < 5; i++) await Promise.resolve();
      if (!signal?.aborted) now += ms;
    },
  };
}
