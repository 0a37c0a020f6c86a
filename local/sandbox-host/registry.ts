import type { Isolation } from "./isolation.js";
import { Sandbox } from "./sandbox.js";
import type { Template, Templates } from "./templates.js";

export interface CreateRequest {
  template: Template;
  timeoutMs: number;
  metadata: Record<string, string>;
  envVars: Record<string, string>;
  allowInternetAccess: boolean;
}

/** The running sandboxes of one host. A killed sandbox leaves the registry at once. */
export class SandboxRegistry {
  private readonly sandboxes = new Map<string, Sandbox>();

  constructor(
    readonly templates: Templates,
    private readonly isolation: Isolation,
    private readonly dataDir: string,
    readonly maxSandboxes: number,
  ) {}

  get size(): number {
    return this.sandboxes.size;
  }

  create(request: CreateRequest): Sandbox {
    const sandbox = new Sandbox({ ...request, dataDir: this.dataDir, isolation: this.isolation });
    this.sandboxes.set(sandbox.id, sandbox);
    void sandbox.gone.then(() => this.sandboxes.delete(sandbox.id));
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
    await Promise.all([...this.sandboxes.values()].map((s) => s.kill("host stopped")));
  }
}
