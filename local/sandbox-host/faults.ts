import { HttpError } from "./http.js";

/**
 * Failures the host can be told to produce, so reliability tests see what the real service does
 * when it fails. Off unless the host starts with faults enabled; each entry counts down.
 */
export interface FaultPlan {
  /** The next `count` creates answer `status` (500, 429 or 503), 429/503 with `Retry-After`. */
  createFailure?: { status: number; count: number; retryAfterSeconds?: number };
  /** The next `count` creates take `ms` longer. */
  createDelay?: { ms: number; count: number };
  /** The next `count` executions never finish: only keepalives, until the caller gives up. */
  stallExecution?: { count: number };
  /** The next `count` executions have their sandbox killed `afterMs` after they start. */
  killDuringExecution?: { count: number; afterMs: number };
}

export class Faults {
  private plan: FaultPlan = {};

  constructor(readonly enabled: boolean) {}

  set(plan: Record<string, unknown>): void {
    const checked = validate(plan);
    this.plan = { ...this.plan, ...checked };
  }

  clear(): void {
    this.plan = {};
  }

  pending(): FaultPlan {
    return this.plan;
  }

  takeCreateFailure(): FaultPlan["createFailure"] | undefined {
    return this.take("createFailure");
  }

  takeCreateDelay(): FaultPlan["createDelay"] | undefined {
    return this.take("createDelay");
  }

  takeStall(): boolean {
    return this.take("stallExecution") !== undefined;
  }

  takeKillDuringExecution(): FaultPlan["killDuringExecution"] | undefined {
    return this.take("killDuringExecution");
  }

  private take<K extends keyof FaultPlan>(kind: K): FaultPlan[K] | undefined {
    const fault = this.plan[kind];
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count <= 0) delete this.plan[kind];
    return fault;
  }
}

function validate(plan: Record<string, unknown>): FaultPlan {
  const known = ["createFailure", "createDelay", "stallExecution", "killDuringExecution"];
  for (const key of Object.keys(plan)) {
    if (!known.includes(key)) throw new HttpError(400, `unknown fault ${key}; known: ${known.join(", ")}`);
    const fault = plan[key] as Record<string, unknown> | undefined;
    if (typeof fault !== "object" || fault === null || !Number.isInteger(fault.count) || (fault.count as number) < 1) {
      throw new HttpError(400, `${key}.count must be a positive integer`);
    }
  }
  const failure = plan.createFailure as FaultPlan["createFailure"];
  if (failure && ![429, 500, 502, 503].includes(failure.status)) {
    throw new HttpError(400, "createFailure.status must be 429, 500, 502 or 503");
  }
  return plan as FaultPlan;
}
