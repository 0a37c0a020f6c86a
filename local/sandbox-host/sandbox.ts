import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { RunningCommand } from "./envd-process.js";
import type { Listener, Machine } from "./machine.js";
import type { Template } from "./templates.js";

export type { AgentEvent, Listener } from "./machine.js";

export interface SandboxOptions {
  timeoutMs: number;
  /** When its timeout passes it is paused, not killed (E2B's `lifecycle.onTimeout: "pause"`). */
  autoPause?: boolean;
  /** A paused sandbox that gets traffic resumes by itself. */
  autoResume?: boolean;
  metadata: Record<string, string>;
  envVars: Record<string, string>;
}

const SAMPLE_EVERY_MS = 5000;
/** An hour of samples. */
const MAX_SAMPLES = 720;

export interface CodeContext {
  id: string;
  language: string;
  cwd: string;
}

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function newSandboxId(): string {
  return Array.from(randomBytes(20), (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join("");
}

/**
 * One E2B sandbox as its clients see it: id, metadata, deadline, code contexts and commands,
 * backed by a machine. When the deadline passes or it is killed, its machine is killed.
 */
export class Sandbox {
  readonly id = newSandboxId();
  readonly clientId = "local";
  readonly envdAccessToken = randomBytes(16).toString("hex");
  /** What the code interpreter's client sends (it does not send the envd token on /contexts). */
  readonly trafficAccessToken = randomBytes(16).toString("hex");
  readonly startedAt = new Date();
  readonly metadata: Record<string, string>;
  readonly autoPause: boolean;
  readonly autoResume: boolean;
  /** The timeout it was created with: the one a resume by traffic gives it again. */
  readonly timeoutMs: number;
  /** The code interpreter's contexts, in creation order: E2B's default ones (one per language) first. */
  readonly codeContexts = new Map<string, CodeContext>();
  /** Language to the id of its default context, which runs code sent with a language and no context. */
  private readonly defaultContexts = new Map<string, string>();
  /** Running commands by their pid inside the sandbox. */
  readonly commands = new Map<number, RunningCommand>();
  endAt: Date;
  /** Paused: its processes stopped and its clock with them, until a connect resumes it. */
  paused = false;
  /** Resource samples, one every few seconds, oldest first: what metrics' `start` and `end` choose from. */
  readonly samples: Record<string, number | string>[] = [];
  private deadline: NodeJS.Timeout;
  private readonly sampler: NodeJS.Timeout;

  constructor(
    readonly machine: Machine,
    options: SandboxOptions,
  ) {
    this.metadata = options.metadata;
    this.autoPause = options.autoPause === true;
    this.autoResume = options.autoResume === true;
    this.timeoutMs = options.timeoutMs;
    const env = { E2B_SANDBOX_ID: this.id, ...options.envVars };
    const prestart: Record<string, string> = {};
    if (this.template.codeInterpreter) {
      // As E2B's code interpreter, python's and javascript's default contexts exist from the
      // start; python's kernel is started ahead, javascript's on its first run.
      prestart[this.defaultContext("python").id] = "python";
      this.defaultContext("javascript");
    }
    machine.request("configure", { env, prestart });
    this.endAt = new Date(this.startedAt.getTime() + options.timeoutMs);
    this.deadline = setTimeout(() => this.expire(), options.timeoutMs);
    this.sampler = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    this.sampler.unref();
    void machine.gone.then(() => {
      clearTimeout(this.deadline);
      clearInterval(this.sampler);
    });
  }

  /** The default context of `language`, made (and listed) on first use. */
  defaultContext(language: string): CodeContext {
    const existing = this.codeContexts.get(this.defaultContexts.get(language) ?? "");
    if (existing) return existing;
    const context = { id: randomUUID(), language, cwd: this.home };
    this.codeContexts.set(context.id, context);
    this.defaultContexts.set(language, context.id);
    return context;
  }

  removeContext(id: string): void {
    this.codeContexts.delete(id);
    for (const [language, contextId] of this.defaultContexts) if (contextId === id) this.defaultContexts.delete(language);
  }

  get template(): Template {
    return this.machine.spec.template;
  }

  get allowInternetAccess(): boolean {
    return this.machine.spec.allowInternetAccess;
  }

  get home(): string {
    return this.machine.home;
  }

  get running(): boolean {
    return this.machine.alive;
  }

  /** Stops every process of the sandbox and its clock; false when it was already paused. */
  pause(): boolean {
    if (this.paused || !this.running) return false;
    this.paused = true;
    clearTimeout(this.deadline);
    this.machine.signalAll("SIGSTOP");
    return true;
  }

  /** Lets its processes go on where they stopped, with a new deadline `timeoutMs` from now. */
  resume(timeoutMs: number): void {
    if (!this.paused) return;
    this.paused = false;
    this.machine.signalAll("SIGCONT");
    this.setTimeout(timeoutMs);
  }

  /** Moves the deadline to `timeoutMs` from now, as E2B's setTimeout does. */
  setTimeout(timeoutMs: number): void {
    if (!this.running || this.paused) return;
    clearTimeout(this.deadline);
    this.endAt = new Date(Date.now() + timeoutMs);
    this.deadline = setTimeout(() => this.expire(), timeoutMs);
  }

  /** Its timeout passed: paused when it was created to pause, else killed. */
  private expire(): void {
    if (this.autoPause) this.pause();
    else void this.kill();
  }

  /** Whether a request carries this sandbox's token: envd's for envd, either for the other ports. */
  admits(headers: IncomingHttpHeaders, envd: boolean): boolean {
    if (sameToken(headers["x-access-token"], this.envdAccessToken)) return true;
    return !envd && sameToken(headers["e2b-traffic-access-token"], this.trafficAccessToken);
  }

  /** Backpressure: stop reading the sandbox's output until a slow client catches up. */
  hold(): void {
    this.machine.hold();
  }

  release(): void {
    this.machine.release();
  }

  request(op: string, fields: Record<string, unknown>, listener?: Listener): string {
    return this.machine.request(op, fields, listener);
  }

  stopListening(id: string): void {
    this.machine.stopListening(id);
  }

  /** Kills every process in the sandbox; resolves once they are gone. */
  async kill(): Promise<void> {
    if (this.running) this.endAt = new Date();
    await this.machine.kill();
  }

  /** The samples taken between `start` and `end` (unix seconds), with a fresh one first taken. */
  metrics(start?: number, end?: number): Record<string, number | string>[] {
    if (!this.paused) this.sample();
    return this.samples.filter((sample) => {
      const at = Number(sample.timestampUnix);
      return (start === undefined || at >= start) && (end === undefined || at <= end);
    });
  }

  private sample(): void {
    if (!this.running || this.paused) return;
    this.samples.push(this.machine.metrics());
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }
}

function sameToken(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== "string") return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
