import { Sandbox } from "@e2b/code-interpreter";
import { CommandExitError, RateLimitError, ServiceBusyError } from "e2b";
import { COLLECTOR, collectorEnv, type FoundFile, parseCollected } from "./output-files.js";

export interface SandboxOptions {
  template: string;
  timeoutMs: number;
  metadata: Record<string, string>;
  /** false: no network at all. */
  allowInternetAccess: boolean;
}

/** What runledger needs of a sandbox service. E2B implements it; so does the local sandbox host. */
export interface SandboxProvider {
  create(options: SandboxOptions): Promise<RunningSandbox>;
  kill(sandboxId: string): Promise<boolean>;
  /** Running sandboxes that carry the metadata key `runledger_execution`. */
  listOwned(): Promise<Array<{ id: string; executionId: string; startedAt: Date }>>;
}

/** A provider's answer that it has no room now (E2B: 429 at the concurrency or create-rate cap, 503): a reason to wait, not to fail. */
export function isCapacityRefusal(error: unknown): boolean {
  return error instanceof RateLimitError || error instanceof ServiceBusyError;
}

export interface OutputSink {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface CodeOutcome {
  text: string | null;
  results: Record<string, unknown>[];
  error: { name: string; value: string; traceback: string } | null;
  exitCode: number;
}

export interface RunningSandbox {
  readonly id: string;
  writeFile(path: string, data: string | ArrayBuffer): Promise<void>;
  runCode(
    code: string,
    options: { language: string; envs: Record<string, string>; timeoutMs: number; output: OutputSink },
  ): Promise<CodeOutcome>;
  runCommand(command: string, options: { envs: Record<string, string>; timeoutMs: number; output: OutputSink }): Promise<CodeOutcome>;
  /** The files under /home/user matching the patterns (see output-files.ts), at most `maxBytes` of them read. */
  collectFiles(patterns: string[], maxBytes: number): Promise<FoundFile[]>;
  kill(): Promise<boolean>;
}

export interface E2bConnection {
  apiKey: string;
  apiUrl?: string;
  sandboxUrl?: string;
}

/** The E2B SDK, pointed at E2B's cloud or at any host that speaks its protocol. */
export class E2bSandboxProvider implements SandboxProvider {
  constructor(private readonly connection: E2bConnection) {}

  async create(options: SandboxOptions): Promise<RunningSandbox> {
    const sandbox = await Sandbox.create(options.template, {
      ...this.connection,
      timeoutMs: options.timeoutMs,
      metadata: options.metadata,
      allowInternetAccess: options.allowInternetAccess,
      requestTimeoutMs: 30_000,
    });
    return new E2bRunningSandbox(sandbox);
  }

  kill(sandboxId: string): Promise<boolean> {
    return Sandbox.kill(sandboxId, this.connection);
  }

  async listOwned(): Promise<Array<{ id: string; executionId: string; startedAt: Date }>> {
    const pages = Sandbox.list({ ...this.connection, query: { state: ["running"] } } as Parameters<typeof Sandbox.list>[0]);
    const owned: Array<{ id: string; executionId: string; startedAt: Date }> = [];
    while (pages.hasNext) {
      for (const info of await pages.nextItems()) {
        const executionId = info.metadata.runledger_execution;
        if (executionId) owned.push({ id: info.sandboxId, executionId, startedAt: info.startedAt });
      }
    }
    return owned;
  }
}

class E2bRunningSandbox implements RunningSandbox {
  constructor(private readonly sandbox: Sandbox) {}

  get id(): string {
    return this.sandbox.sandboxId;
  }

  async writeFile(path: string, data: string | ArrayBuffer): Promise<void> {
    await this.sandbox.files.write(path, data);
  }

  async runCode(
    code: string,
    options: { language: string; envs: Record<string, string>; timeoutMs: number; output: OutputSink },
  ): Promise<CodeOutcome> {
    const execution = await this.sandbox.runCode(code, {
      language: options.language,
      envs: options.envs,
      timeoutMs: options.timeoutMs,
      requestTimeoutMs: options.timeoutMs,
      onStdout: (m) => options.output.stdout(m.line),
      onStderr: (m) => options.output.stderr(m.line),
    });
    const error = execution.error
      ? { name: execution.error.name, value: execution.error.value, traceback: execution.error.traceback }
      : null;
    return {
      text: execution.text ?? null,
      results: execution.results.map((r) => stripUndefined(r.toJSON() as Record<string, unknown>)),
      error,
      exitCode: error ? 1 : 0,
    };
  }

  async runCommand(
    command: string,
    options: { envs: Record<string, string>; timeoutMs: number; output: OutputSink },
  ): Promise<CodeOutcome> {
    try {
      await this.sandbox.commands.run(command, {
        envs: options.envs,
        timeoutMs: options.timeoutMs,
        onStdout: (line) => options.output.stdout(line),
        onStderr: (line) => options.output.stderr(line),
      });
      return { text: null, results: [], error: null, exitCode: 0 };
    } catch (error) {
      if (error instanceof CommandExitError) return { text: null, results: [], error: null, exitCode: error.exitCode };
      throw error;
    }
  }

  async collectFiles(patterns: string[], maxBytes: number): Promise<FoundFile[]> {
    const collected = await this.sandbox.commands.run(COLLECTOR, { envs: collectorEnv(patterns, maxBytes), timeoutMs: 60_000 });
    return parseCollected(collected.stdout);
  }

  kill(): Promise<boolean> {
    return this.sandbox.kill();
  }
}

function stripUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
