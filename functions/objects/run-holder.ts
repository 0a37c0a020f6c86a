import { DurableObject } from "cloudflare:workers";
import { isFinalStatus } from "../../db/schema/enums.js";
import { buildServices } from "../build-services.js";
import type { Services } from "../context.js";
import type { Env } from "../env.js";
import {
  attachSandbox,
  claimExecution,
  completedEventOf,
  type ExecutionRecord,
  finishExecution,
  loadExecution,
  type Outcome,
  platformErrorResult,
  SANDBOX_GRACE_MS,
} from "../ledger/index.js";
import { EventLog, eventStream, type LiveEvent } from "../live/event-log.js";
import { replayFromLedger } from "../live/replay.js";
import { describeForLog } from "../log.js";
import { DATABASE_WRITES, retry } from "../retry.js";
import { queueDeliveries } from "../services/event-delivery.js";
import { executionView } from "../services/execution-view.js";
import { actualCostMicros } from "../services/pricing.js";
import { runExecution } from "../services/run-execution.js";
import { openInputs } from "../services/run-inputs.js";

/** What the holder keeps in storage, so that an alarm on a fresh instance can finish its work. */
interface HolderState {
  executionId: string;
  phase: "starting" | "running" | "done";
  timeoutMs?: number;
  /** When the run's sandbox dies by itself: the run's own deadline plus the sandbox's grace. */
  deadline?: number;
  sandboxId?: string;
  sandboxCreatedAt?: number;
  /** When a finished run's events are forgotten. */
  keepUntil?: number;
}

/** While a run goes, its alarm fires this often: proof of life, and the way back after an eviction. */
const HEARTBEAT_MS = 10_000;
/** A finished run's events stay for resumes and replays this long. */
const LOG_RETENTION_MS = 60 * 60 * 1000;
/** Storage values are at most 2 MB: the log is kept in chunks below that. */
const LOG_CHUNK_CHARS = 1_000_000;

/**
 * The holder of one execution's run (one Durable Object per execution). The runs consumer hands
 * it the execution and returns; the holder claims it, creates the sandbox, runs the code, keeps
 * the live output for Server-Sent Events, finishes through the ledger and wakes whoever waits.
 * Its alarm beats while the run goes: an instance evicted or restarted mid-run leaves the alarm
 * to a fresh instance, which kills the sandbox and ends the run as `error`, billed its known life.
 */
export class RunHolder extends DurableObject<Env> {
  private log: EventLog | null = null;
  private running: Promise<void> | null = null;
  private readonly waiters = new Set<() => void>();

  /** Claims and runs the execution, in the background; a second call does nothing. */
  async start(executionId: string): Promise<void> {
    if (this.running || (await this.state())) return;
    await this.saveState({ executionId, phase: "starting" });
    await this.ctx.storage.setAlarm(Date.now() + HEARTBEAT_MS);
    this.launch(executionId);
  }

  /** True once the execution has a final status (as far as this holder knows), false after `timeoutMs`. */
  async waitForFinal(timeoutMs: number): Promise<boolean> {
    if (this.log?.ended) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.add(wake);
    });
  }

  /** The execution was ended elsewhere (a queued cancel, a revoke, a reap): its events end, its waiters wake. */
  async settled(executionId: string): Promise<void> {
    if (this.running) return;
    await this.withServices(async (services) => {
      const record = await loadExecution(services, executionId);
      if (record && isFinalStatus(record.status)) await this.ended(executionId, record);
    });
  }

  /** `GET /events?id=&after=`: the run's events as Server-Sent Events. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const executionId = url.searchParams.get("id") ?? "";
    const after = url.searchParams.get("after");
    return eventStream(await this.readableLog(executionId), after === null || after === "" ? null : Number(after));
  }

  override async alarm(): Promise<void> {
    const state = await this.state();
    if (!state) return;
    const now = Date.now();
    if (state.phase === "done") {
      if (now >= (state.keepUntil ?? 0)) {
        await this.ctx.storage.deleteAll();
        this.log = null;
      } else {
        await this.ctx.storage.setAlarm(state.keepUntil ?? now);
      }
      return;
    }
    if (!this.running) {
      // The instance that was running it is gone (evicted, restarted): this one takes over.
      if (state.phase === "starting") this.launch(state.executionId);
      else await this.recover(state);
    }
    const latest = await this.state();
    if (latest && latest.phase !== "done")
      await this.ctx.storage.setAlarm(Math.min(Date.now() + HEARTBEAT_MS, latest.deadline ?? Number.POSITIVE_INFINITY));
  }

  private launch(executionId: string): void {
    const run = this.drive(executionId)
      .catch((error: unknown) => console.error(`the run of ${executionId} failed in its holder: ${describeForLog(error)}`))
      .finally(() => {
        this.running = null;
      });
    this.running = run;
    this.ctx.waitUntil(run);
  }

  private async drive(executionId: string): Promise<void> {
    await this.withServices(async (services) => {
      const row = await retry(DATABASE_WRITES, () => claimExecution(services, executionId));
      if (!row) {
        const record = await loadExecution(services, executionId);
        // Claimed by this holder before a restart, its sandbox never noted: it ends here.
        if (record?.status === "running")
          await this.endInterrupted(services, { executionId, phase: "running", timeoutMs: record.timeoutMs });
        else if (record && isFinalStatus(record.status)) await this.ended(executionId, record);
        return;
      }
      const log = this.liveLog();
      log.append("status", { status: "running" });
      const inputs = await openInputs(services.secrets, row).catch(() => null);
      if (!inputs) {
        const outcome = notRun(services, "the run's inputs could not be opened");
        await retry(DATABASE_WRITES, () => finishExecution(services, row.id, outcome));
        await this.finished(services, executionId);
        return;
      }
      const deadline = (row.startedAt?.getTime() ?? Date.now()) + row.timeoutMs + SANDBOX_GRACE_MS;
      const running: HolderState = { executionId, phase: "running", timeoutMs: row.timeoutMs, deadline };
      await this.saveState(running);
      const { outcome, killed } = await runExecution({ ...row, ...inputs }, services, {
        sandboxStarted: async (sandboxId, createdAt) => {
          await this.saveState({ ...running, sandboxId, sandboxCreatedAt: createdAt });
          return retry(DATABASE_WRITES, () => attachSandbox(services, row.id, sandboxId));
        },
        output: (stream, text) => log.append(stream, { text }),
        result: (result) => log.append("result", result),
      });
      try {
        await retry(DATABASE_WRITES, () => finishExecution(services, row.id, outcome));
        await this.finished(services, executionId);
      } finally {
        await killed;
      }
    });
  }

  /** The holder's own run ended: its events end, its waiters wake, and its webhook's first attempt is queued. */
  private async finished(services: Services, executionId: string): Promise<void> {
    const record = await loadExecution(services, executionId);
    if (!record) return;
    await this.ended(executionId, record);
    const event = record.webhookUrl ? await completedEventOf(services, executionId) : null;
    if (event) await queueDeliveries(services, [event.id]);
  }

  /** A run whose holder was interrupted: its sandbox killed, ended as `error`, billed its known life. */
  private async recover(state: HolderState): Promise<void> {
    await this.withServices(async (services) => {
      if (state.sandboxId) await services.sandboxes.kill(state.sandboxId).catch(() => false);
      await this.endInterrupted(services, state);
    });
  }

  private async endInterrupted(services: Services, state: HolderState): Promise<void> {
    const record = await loadExecution(services, state.executionId);
    if (!record) return;
    const now = Date.now();
    const sandboxMs = state.sandboxCreatedAt ? Math.min(now - state.sandboxCreatedAt, (state.timeoutMs ?? 0) + SANDBOX_GRACE_MS) : null;
    const outcome: Outcome = {
      status: "error",
      finishedAt: new Date(now),
      durationMs: null,
      sandboxMs,
      costMicros: actualCostMicros(record.ratePicosPerSecond, sandboxMs),
      result: platformErrorResult(
        "the run's holder was interrupted (a restart or an eviction) before it could report; its sandbox was killed",
      ),
    };
    await retry(DATABASE_WRITES, () => finishExecution(services, state.executionId, outcome));
    await this.finished(services, state.executionId);
  }

  /** A final execution: the end of its events, its waiters woken, the log kept for a while. */
  private async ended(executionId: string, record: ExecutionRecord): Promise<void> {
    // Ended elsewhere before this holder saw any of it: the ledger's output stands for its events.
    this.log ??= replayFromLedger(record);
    const log = this.log;
    if (!log.ended) {
      log.append("status", { status: record.status });
      log.append("end", executionView(record));
    }
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    const keepUntil = Date.now() + LOG_RETENTION_MS;
    await this.storeLog(log.all);
    await this.saveState({ executionId, phase: "done", keepUntil });
    await this.ctx.storage.setAlarm(keepUntil);
  }

  private liveLog(): EventLog {
    this.log ??= new EventLog();
    return this.log;
  }

  /** The log to serve: the live one, the one kept after the run, or the ledger's output replayed. */
  private async readableLog(executionId: string): Promise<EventLog> {
    if (this.log) return this.log;
    const stored = await this.storedLog();
    if (stored) {
      this.log = stored;
      return stored;
    }
    const record = await this.withServices((services) => loadExecution(services, executionId));
    if (record && isFinalStatus(record.status)) return replayFromLedger(record);
    const log = this.liveLog();
    if (record) log.append("status", { status: record.status });
    return log;
  }

  private async storeLog(events: readonly LiveEvent[]): Promise<void> {
    const chunks: LiveEvent[][] = [[]];
    let size = 0;
    for (const event of events) {
      const length = JSON.stringify(event).length;
      if (size + length > LOG_CHUNK_CHARS && (chunks.at(-1)?.length ?? 0) > 0) {
        chunks.push([]);
        size = 0;
      }
      chunks.at(-1)?.push(event);
      size += length;
    }
    await this.ctx.storage.put(Object.fromEntries(chunks.map((chunk, i) => [`log:${String(i).padStart(4, "0")}`, chunk])));
  }

  private async storedLog(): Promise<EventLog | null> {
    const chunks = await this.ctx.storage.list<LiveEvent[]>({ prefix: "log:" });
    if (chunks.size === 0) return null;
    return EventLog.from([...chunks.values()].flat());
  }

  private state(): Promise<HolderState | undefined> {
    return this.ctx.storage.get<HolderState>("state");
  }

  private saveState(state: HolderState): Promise<void> {
    return this.ctx.storage.put("state", state);
  }

  private async withServices<T>(work: (services: Services) => Promise<T>): Promise<T> {
    const { services, close } = await buildServices(this.env);
    try {
      return await work(services);
    } finally {
      await close();
    }
  }
}

function notRun({ clock }: Pick<Services, "clock">, reason: string): Outcome {
  return {
    status: "error",
    finishedAt: clock.now(),
    durationMs: null,
    sandboxMs: null,
    costMicros: 0n,
    result: platformErrorResult(reason),
  };
}
