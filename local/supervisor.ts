/** What the stack says when a component dies: a line per event, and `fatal` once it has given up and stopped. */
export interface SupervisorReport {
  log(line: string): void;
  fatal(reason: string): void;
}

export interface Supervised {
  /** How the user knows it: "Postgres", "the sandbox host", "workerd (the Worker's runtime)". */
  name: string;
  pid(): number | undefined;
  onCrash(listener: (how?: string) => void): void;
  restart(): Promise<void>;
  /** How long to keep trying to start it again (Postgres waits for its old processes to go). */
  retryForMs?: number;
}

/** Restarts allowed per component within a minute; beyond, it is given up on. */
const MAX_RESTARTS_PER_MINUTE = 5;
const RETRY_EVERY_MS = 250;

/**
 * Watches the stack's components: when one ends without being stopped, it says which and starts it
 * again; when that fails (or it keeps dying) it stops everything and reports a fatal reason, so a
 * stack never sits there answering nothing.
 */
export class Supervisor {
  #stopping = false;
  #failed = false;

  constructor(
    private readonly report: SupervisorReport,
    private readonly stopAll: () => Promise<void>,
  ) {}

  /** Everything is being stopped on purpose: exits from now on are expected. */
  stopping(): void {
    this.#stopping = true;
  }

  watch(component: Supervised): void {
    let known = component.pid();
    const restarts: number[] = [];
    component.onCrash((how) => {
      if (this.#stopping) return;
      const who = `${component.name}${known ? ` (pid ${known})` : ""}`;
      const now = Date.now();
      restarts.push(now);
      while (restarts.length && (restarts[0] as number) < now - 60_000) restarts.shift();
      if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
        void this.giveUp(`${who} ended${how ? ` (${how})` : ""}, its ${MAX_RESTARTS_PER_MINUTE + 1}th time within a minute`);
        return;
      }
      this.report.log(`${who} ended unexpectedly${how ? ` (${how})` : ""}; restarting it`);
      void this.restart(component, now).then(
        () => {
          known = component.pid();
          if (this.#stopping) return;
          this.report.log(`${component.name} is back${known ? ` (pid ${known})` : ""} after ${Date.now() - now} ms`);
        },
        (error: Error) => this.giveUp(`${who} ended${how ? ` (${how})` : ""} and could not be started again: ${error.message}`),
      );
    });
  }

  private async restart(component: Supervised, since: number): Promise<void> {
    const deadline = since + (component.retryForMs ?? 0);
    for (;;) {
      try {
        return await component.restart();
      } catch (error) {
        if (this.#stopping || Date.now() + RETRY_EVERY_MS > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
      }
    }
  }

  private async giveUp(reason: string): Promise<void> {
    if (this.#stopping || this.#failed) return;
    this.#failed = true;
    this.report.log(`${reason}; stopping everything`);
    await this.stopAll();
    this.report.fatal(reason);
  }
}
