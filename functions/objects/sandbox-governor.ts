import { DurableObject } from "cloudflare:workers";
import { type Env, numberSetting } from "../env.js";
import { describeForLog } from "../log.js";
import type { RunHolderNamespace } from "./stubs.js";

/** A slot held by a run: it lapses unless renewed, so a dead holder's slot comes back. */
interface Lease {
  keyId: string;
  until: number;
}

interface GovernorState {
  leases: Record<string, Lease>;
  /** Executions waiting for a slot, per key, oldest first (execution ids sort by creation). */
  waiting: Record<string, string[]>;
  /** The keys that have waited, in the order they first did: the round-robin ring. */
  ring: string[];
  /** The key served last: the next grant goes to the next key in the ring that waits. */
  lastKey: string | null;
  /** When the latest grants were made, for the create rate. */
  grants: number[];
}

export type Decision = "granted" | "queued";

const RATE_WINDOW_MS = 1000;

/**
 * The one governor of sandboxes (a Durable Object named `global`): it holds `MAX_SANDBOXES` slots
 * as leases and grants them at most `MAX_CREATES_PER_SECOND` a second. Executions beyond capacity
 * wait, in submission order within a key and round-robin across keys, so one key's burst cannot
 * starve another's. A waiting run holder is told when its slot is granted; a lease that is not
 * renewed lapses, and its slot goes to the next in line. Nothing runs while nothing waits or holds.
 */
export class SandboxGovernor extends DurableObject<Env> {
  private state: GovernorState | null = null;

  /** A slot for the execution, now or when one frees up (its holder is then told: `granted`). */
  async acquire(executionId: string, keyId: string): Promise<Decision> {
    const state = await this.load();
    const now = Date.now();
    const lease = state.leases[executionId];
    if (lease) {
      lease.until = now + this.leaseMs;
    } else {
      const queue = state.waiting[keyId] ?? [];
      state.waiting[keyId] = queue;
      if (!queue.includes(executionId)) {
        queue.push(executionId);
        queue.sort();
        if (!state.ring.includes(keyId)) state.ring.push(keyId);
      }
    }
    const granted = this.grant(state, now);
    await this.save(state, now);
    this.tell(granted.filter((id) => id !== executionId));
    return state.leases[executionId] ? "granted" : "queued";
  }

  /** Keeps the execution's slot; false when it had none (it lapsed, or was never granted). */
  async renew(executionId: string): Promise<boolean> {
    const state = await this.load();
    const lease = state.leases[executionId];
    if (!lease) return false;
    lease.until = Date.now() + this.leaseMs;
    await this.save(state, Date.now());
    return true;
  }

  /** The execution is done with its slot, or no longer wants one: the slot goes to the next in line. */
  async release(executionId: string): Promise<void> {
    const state = await this.load();
    delete state.leases[executionId];
    for (const [keyId, queue] of Object.entries(state.waiting)) {
      const at = queue.indexOf(executionId);
      if (at !== -1) queue.splice(at, 1);
      if (queue.length === 0) delete state.waiting[keyId];
    }
    const now = Date.now();
    const granted = this.grant(state, now);
    await this.save(state, now);
    this.tell(granted);
  }

  /** How many slots are held and how many wait (for tests and the bench). */
  async usage(): Promise<{ held: number; waiting: number; max: number }> {
    const state = await this.load();
    return { held: Object.keys(state.leases).length, waiting: countWaiting(state), max: this.maxSandboxes };
  }

  override async alarm(): Promise<void> {
    const state = await this.load();
    const now = Date.now();
    for (const [executionId, lease] of Object.entries(state.leases)) if (lease.until <= now) delete state.leases[executionId];
    const granted = this.grant(state, now);
    await this.save(state, now);
    this.tell(granted);
  }

  /** Grants free slots to those waiting, within the create rate; returns who got one. */
  private grant(state: GovernorState, now: number): string[] {
    const granted: string[] = [];
    state.grants = state.grants.filter((at) => at > now - RATE_WINDOW_MS);
    while (Object.keys(state.leases).length < this.maxSandboxes && state.grants.length < this.maxCreatesPerSecond) {
      const keyId = nextKey(state);
      const executionId = keyId ? state.waiting[keyId]?.shift() : undefined;
      if (!keyId || !executionId) break;
      if (state.waiting[keyId]?.length === 0) delete state.waiting[keyId];
      state.leases[executionId] = { keyId, until: now + this.leaseMs };
      state.lastKey = keyId;
      state.grants.push(now);
      granted.push(executionId);
    }
    state.ring = state.ring.filter((keyId) => state.waiting[keyId] || keyId === state.lastKey);
    return granted;
  }

  /** Tells each granted execution's holder, in the background; a holder that misses it asks again on its heartbeat. */
  private tell(executionIds: string[]): void {
    const holders = this.env.RUN_HOLDERS as RunHolderNamespace;
    for (const id of executionIds) {
      this.ctx.waitUntil(
        holders
          .getByName(id)
          .granted(id)
          .catch((error: unknown) => console.error(`telling ${id}'s holder of its slot failed: ${describeForLog(error)}`)),
      );
    }
  }

  private get maxSandboxes(): number {
    return numberSetting(this.env, "MAX_SANDBOXES");
  }

  private get maxCreatesPerSecond(): number {
    return numberSetting(this.env, "MAX_CREATES_PER_SECOND");
  }

  /** A lease outlives its holder's last heartbeat by at least two beats. */
  private get leaseMs(): number {
    return numberSetting(this.env, "SANDBOX_LEASE_MS");
  }

  private async load(): Promise<GovernorState> {
    this.state ??= (await this.ctx.storage.get<GovernorState>("state")) ?? { leases: {}, waiting: {}, ring: [], lastKey: null, grants: [] };
    return this.state;
  }

  /** Stored, with an alarm only while there is something to expire or someone to serve. */
  private async save(state: GovernorState, now: number): Promise<void> {
    await this.ctx.storage.put("state", state);
    const expiries = Object.values(state.leases).map((lease) => lease.until);
    const nextGrant = countWaiting(state) > 0 ? Math.max(now + 50, (state.grants[0] ?? now) + RATE_WINDOW_MS) : Number.POSITIVE_INFINITY;
    const next = Math.min(nextGrant, ...expiries);
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAlarm();
  }
}

/** The key after the one served last, round the ring, that has someone waiting. */
function nextKey(state: GovernorState): string | null {
  const start = state.lastKey === null ? -1 : state.ring.indexOf(state.lastKey);
  for (let step = 1; step <= state.ring.length; step++) {
    const keyId = state.ring[(start + step + state.ring.length) % state.ring.length];
    if (keyId && (state.waiting[keyId]?.length ?? 0) > 0) return keyId;
  }
  return null;
}

function countWaiting(state: GovernorState): number {
  return Object.values(state.waiting).reduce((sum, queue) => sum + queue.length, 0);
}
