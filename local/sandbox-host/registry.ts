import type { Isolation } from "./isolation.js";
import { Machine, type MachineSpec } from "./machine.js";
import { Sandbox, type SandboxOptions } from "./sandbox.js";
import type { Templates } from "./templates.js";

export interface RegistryOptions {
  maxSandboxes: number;
  /** Creates allowed a second (E2B's rate limit); none when unset. */
  maxCreatesPerSecond?: number;
  /** Machines kept started per template and network setting, so a create does not wait for one. */
  warmMachines: number;
}

/** The running sandboxes of one host, and the warm machines waiting to become sandboxes. */
export class SandboxRegistry {
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly warm = new Map<string, Machine[]>();
  private starting = 0;
  private recentCreates: number[] = [];
  /** Creates refused for the cap or the rate, and the most sandboxes alive (or starting) at once. */
  readonly counts = { refused: 0, peak: 0 };

  constructor(
    readonly templates: Templates,
    private readonly isolation: Isolation,
    private readonly dataDir: string,
    private readonly options: RegistryOptions,
  ) {}

  /** Sandboxes alive, and those being created: what counts against the cap. */
  get size(): number {
    return this.sandboxes.size + this.starting;
  }

  get maxSandboxes(): number {
    return this.options.maxSandboxes;
  }

  /** Whether one more create fits the create rate now (and counts it if so). */
  admitCreate(now = Date.now()): boolean {
    const limit = this.options.maxCreatesPerSecond;
    if (!limit) return true;
    this.recentCreates = this.recentCreates.filter((at) => at > now - 1000);
    if (this.recentCreates.length >= limit) return false;
    this.recentCreates.push(now);
    return true;
  }

  /** A sandbox on a started machine; throws if no machine could be made ready. */
  async create(spec: MachineSpec, options: SandboxOptions): Promise<Sandbox> {
    const machine = this.takeMachine(spec);
    this.starting += 1;
    this.counts.peak = Math.max(this.counts.peak, this.size);
    try {
      await machine.ready;
    } finally {
      this.starting -= 1;
    }
    const sandbox = new Sandbox(machine, options);
    this.sandboxes.set(sandbox.id, sandbox);
    void sandbox.machine.gone.then(() => this.sandboxes.delete(sandbox.id));
    return sandbox;
  }

  /** A running sandbox, or undefined once it was killed or timed out. */
  get(id: string): Sandbox | undefined {
    const sandbox = this.sandboxes.get(id);
    return sandbox?.running ? sandbox : undefined;
  }

  running(): Sandbox[] {
    return [...this.sandboxes.values()].filter((s) => s.running);
  }

  async killAll(): Promise<void> {
    const machines = [...this.warm.values()].flat();
    this.warm.clear();
    this.options.warmMachines = 0;
    await Promise.all([...machines, ...[...this.sandboxes.values()].map((s) => s.machine)].map((m) => m.kill()));
  }

  private takeMachine(spec: MachineSpec): Machine {
    const key = `${spec.template.id}/${spec.allowInternetAccess}`;
    const pool = this.warm.get(key) ?? [];
    this.warm.set(key, pool);
    let machine = pool.shift();
    while (machine && !machine.alive) machine = pool.shift();
    setImmediate(() => {
      try {
        while (pool.length < this.options.warmMachines) pool.push(new Machine(spec, this.isolation, this.dataDir));
      } catch (error) {
        console.error(`sandbox host: could not start a warm machine: ${(error as Error).message}`);
      }
    });
    return machine ?? new Machine(spec, this.isolation, this.dataDir);
  }
}
