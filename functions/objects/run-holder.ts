import { DurableObject } from "cloudflare:workers";
import { isFinalStatus } from "../../db/schema/enums.js";
import type { ExecutionRow } from "../../db/schema/index.js";
import { buildServices } from "../build-services.js";
import type { Services } from "../context.js";
import { type Env, numberSetting } from "../env.js";
import {
  claimExecution,
  completedEventOf,
  type ExecutionRecord,
  failQueued,
  finishExecution,
  loadExecution,
  type Outcome,
  platformErrorResult,
  SANDBOX_GRACE_MS,
  withWebhook,
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
import type { GovernorStub } from "./stubs.js";

/** What the holder keeps in storage, so that an alarm on a fresh instance can finish its work. */
interface HolderState {
  executionId: string;
  keyId: string;
  /** waiting: for a sandbox slot; running: its run goes (from the slot on); done: events kept a while. */
  phase: "waiting" | "running" | "done";
  timeoutMs?: number;
  /** When the run's sandbox dies by itself: its create plus the run's timeout and the sandbox's grace. */
  deadline?: number;
  sandboxId?: string;
  sandboxCreatedAt?: number;
  /** When a finished run's events are forgotten. */
  keepUntil?: number;
}

/** While a run goes, its alarm fires this often (or every third of a lease, if sooner): proof of life, its slot renewed, the way back after an eviction. */
const HEARTBEAT_MS = 10_000;
/** While it waits for a slot, it asks the governor again this often, in case a grant went astray. */
const WAITING_CHECK_MS = 30_000;
/** A finished run's events stay for resumes and replays this long. */
const LOG_RETENTION_MS = 60 * 60 * 1000;
/** Storage values are at most 2 MB: the log is kept in chunks below that. */
const LOG_CHUNK_CHARS = 1_000_000;

/**
 * The holder of one execution's run (one Durable Object per execution). The runs consumer hands
 * it the execution and returns. The holder waits for a slot from the sandbox governor, creates
 * the sandbox (waiting out a provider with no room), claims the execution on it, runs the code,
 * keeps the live output for Server-Sent Events, finishes through the ledger, gives the slot back
 * and wakes whoever waits. Its alarm beats while the run goes: an instance evicted or restarted
 * mid-run leaves the alarm to a fresh instance, which kills the sandbox and ends the run as
 * `error`, billed its known life.
 */
export class RunHolder extends DurableObject<Env> {
  private log: EventLog | null = null;
  private running: Promise<void> | null = null;
  private readonly waiters = new Set<() => void>();
  /** The execution's row, read while it waits for a slot, so that a slot is not held for the read. */
  private prefetched: Promise<ExecutionRecord | null> | null = null;

  /** Takes the execution on: asks for a slot, and runs it once granted; a second call does nothing. */
  async start(executionId: string, keyId: string): Promise<void> {
    if (this.running || (await this.state())) return;
    await this.saveState({ executionId, keyId, phase: "waiting" });
    await this.ctx.storage.setAlarm(Date.now() + WAITING_CHECK_MS);
    this.prefetched = this.withServices((services) => loadExecution(services, executionId)).catch(() => null);
    await this.askForSlot(executionId, keyId);
  }

  /** The governor granted the execution a slot. */
  async granted(executionId: string): Promise<void> {
    const state = await this.state();
    if (state?.phase === "waiting" && state.executionId === executionId && !this.running) this.launch(state);
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

  /** The execution was ended elsewhere (a queued cancel, a revoke, a reap): its events end, its waiters wake, its slot goes. */
  async settled(executionId: string): Promise<void> {
    if (this.running) return;
    await this.withServices(async (services) => {
      const record = await loadExecution(services, executionId);
      if (record && isFinalStatus(record.status)) await this.ended(executionId, record);
    });
    await this.governor().release(executionId);
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
    try {
      if (this.running) {
        await this.governor().renew(state.executionId);
      } else if (state.phase === "waiting") {
        await this.askForSlot(state.executionId, state.keyId);
      } else {
        // The instance that was running it is gone (evicted, restarted): this one ends it.
        await this.recover(state);
      }
    } catch (error) {
      // The database is down, say: the next beat tries again. A thrown alarm is retried only a few
      // times by the platform, and an outage longer than those retries would leave the run `running`.
      console.error(`the holder of ${state.executionId} tries again at its next beat: ${describeForLog(error)}`);
    }
    const latest = await this.state();
    if (latest?.phase === "waiting") await this.ctx.storage.setAlarm(Date.now() + WAITING_CHECK_MS);
    else if (latest?.phase === "running") {
      await this.ctx.storage.setAlarm(Math.min(Date.now() + this.heartbeatMs, latest.deadline ?? Number.POSITIVE_INFINITY));
    }
  }

  private async askForSlot(executionId: string, keyId: string): Promise<void> {
    const decision = await this.governor().acquire(executionId, keyId);
    const state = await this.state();
    if (decision === "granted" && state?.phase === "waiting" && !this.running) this.launch(state);
  }

  private launch(state: HolderState): void {
    const run = this.drive(state)
      .catch((error: unknown) => console.error(`the run of ${state.executionId} failed in its holder: ${describeForLog(error)}`))
      .finally(() => {
        this.running = null;
      });
    this.running = run;
    this.ctx.waitUntil(run);
  }

  private async drive(waiting: HolderState): Promise<void> {
    const { executionId } = waiting;
    const running: HolderState = { ...waiting, phase: "running" };
    await this.saveState(running);
    await this.ctx.storage.setAlarm(Date.now() + this.heartbeatMs);
    let released: Promise<void> | null = null;
    try {
      await this.withServices(async (services) => {
        const prefetched = await this.prefetched;
        this.prefetched = null;
        // A row read while waiting may be stale: the claim checks the status again.
        const row = prefetched?.status === "queued" ? prefetched : await loadExecution(services, executionId);
        if (row?.status !== "queued") {
          if (row && isFinalStatus(row.status)) await this.ended(executionId, row);
          return;
        }
        const inputs = await openInputs(services.secrets, row).catch(() => null);
        if (!inputs) return this.failBeforeStart(services, executionId, "the run's inputs could not be opened");
        const log = this.liveLog();
        const ran = await runExecution({ ...row, ...inputs }, services, {
          claim: async (sandboxId, createdAt) => {
            const deadline = createdAt + row.timeoutMs + SANDBOX_GRACE_MS;
            await this.saveState({ ...running, timeoutMs: row.timeoutMs, deadline, sandboxId, sandboxCreatedAt: createdAt });
            const claimed = await retry(DATABASE_WRITES, () => claimExecution(services, executionId, sandboxId));
            if (claimed) log.append("status", { status: "running" });
            return claimed !== null;
          },
          stillWanted: async () => (await loadExecution(services, executionId))?.status === "queued",
          output: (stream, text) => log.append(stream, { text }),
          result: (result) => log.append("result", result),
        });
        if (ran.kind === "not_started") return this.failBeforeStart(services, executionId, ran.reason);
        if (ran.kind === "not_claimed") {
          const record = await loadExecution(services, executionId);
          if (record && isFinalStatus(record.status)) await this.ended(executionId, record);
          return;
        }
        // The slot goes back as soon as the sandbox is gone, while the end is recorded.
        released = ran.killed.then(() => this.governor().release(executionId));
        try {
          const row = await retry(DATABASE_WRITES, () => finishExecution(services, executionId, ran.outcome));
          await this.finished(services, executionId, row);
        } finally {
          await released;
        }
      });
    } finally {
      if (!released) await this.governor().release(executionId);
    }
  }

  /** An execution that never got a sandbox (for reasons other than room): `error`, at no cost. */
  private async failBeforeStart(services: Services, executionId: string, reason: string): Promise<void> {
    await retry(DATABASE_WRITES, () => failQueued(services, executionId, reason));
    await this.finished(services, executionId);
  }

  /** The holder's own run ended: its events end, its waiters wake, and its webhook's first attempt is queued. */
  private async finished(services: Services, executionId: string, settled?: ExecutionRow | null): Promise<void> {
    // The row the finish settled is the final one; a finish that found it settled already reads it.
    const row = settled ?? (await loadExecution(services, executionId));
    if (!row) return;
    const event = row.webhookUrl ? await completedEventOf(services, executionId) : null;
    await this.ended(executionId, withWebhook(row, event));
    if (event) await queueDeliveries(services, [event.id]);
  }

  /** A run whose holder was interrupted: its sandbox killed, ended as `error`, billed its known life, its slot given back. */
  private async recover(state: HolderState): Promise<void> {
    await this.withServices(async (services) => {
      if (state.sandboxId) await services.sandboxes.kill(state.sandboxId).catch(() => false);
      const record = await loadExecution(services, state.executionId);
      if (record?.status === "queued") {
        // It never got as far as its claim: it waits for a slot again.
        await this.saveState({ executionId: state.executionId, keyId: state.keyId, phase: "waiting" });
        return;
      }
      if (!record || isFinalStatus(record.status)) {
        if (record) await this.ended(state.executionId, record);
        return;
      }
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
    });
    await this.governor().release(state.executionId);
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
    const state = await this.state();
    await this.saveState({ executionId, keyId: state?.keyId ?? record.keyId, phase: "done", keepUntil });
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

  private get heartbeatMs(): number {
    return Math.min(HEARTBEAT_MS, Math.floor(numberSetting(this.env, "SANDBOX_LEASE_MS") / 3));
  }

  private governor(): GovernorStub {
    return this.env.SANDBOX_GOVERNOR.getByName("global");
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
