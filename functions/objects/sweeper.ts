import { DurableObject } from "cloudflare:workers";
import { buildServices } from "../build-services.js";
import { type Env, numberSetting } from "../env.js";
import { sweep } from "../jobs/sweep.js";
import { describeForLog } from "../log.js";

/**
 * The sweeper (one Durable Object, `global`): the sweep runs on its alarm, and only while there
 * is work to watch. Activity wakes it (`wake`, from every signed request); each sweep asks the
 * ledger whether anything is queued, running, owed a webhook or lately ended, and re-arms only
 * then, or for the next purge of inputs. An idle deployment therefore sends nothing to Postgres
 * or to the sandbox provider, and Neon can scale to zero.
 */
export class Sweeper extends DurableObject<Env> {
  private sweeping = false;
  private wokenWhileSweeping = false;

  /** Work may be outstanding: a sweep is due within the interval. Returns when the next one is due. */
  async wake(): Promise<number> {
    const soon = Date.now() + this.intervalMs;
    if (this.sweeping) {
      this.wokenWhileSweeping = true;
      return soon;
    }
    const due = await this.ctx.storage.getAlarm();
    if (due !== null && due <= soon) return due;
    await this.ctx.storage.setAlarm(soon);
    return soon;
  }

  /** One sweep now (the local stack's and the tests' handle); its report as JSON. Leaves a due alarm in place. */
  async sweep(): Promise<string> {
    const report = await this.exclusively(() => this.run());
    if ((report.busy || this.wokenWhileSweeping) && (await this.ctx.storage.getAlarm()) === null)
      await this.ctx.storage.setAlarm(Date.now() + this.intervalMs);
    return JSON.stringify(report);
  }

  override async alarm(): Promise<void> {
    await this.exclusively(async () => {
      // Armed first, so that a sweep that dies half-way is tried again.
      await this.ctx.storage.setAlarm(Date.now() + this.intervalMs);
      let next: number | null = Date.now() + this.intervalMs;
      try {
        const report = await this.run();
        if (!report.busy && !this.wokenWhileSweeping) next = report.nextPurgeAt ? Math.max(report.nextPurgeAt.getTime(), next) : null;
      } catch (error) {
        console.error(`a sweep failed, and is tried again in ${this.intervalMs} ms: ${describeForLog(error)}`);
      }
      if (next === null) await this.ctx.storage.deleteAlarm();
      else await this.ctx.storage.setAlarm(next);
    });
  }

  /** A wake that arrives while this runs (its queries may have missed the waker's work) keeps the sweeps going. */
  private async exclusively<T>(work: () => Promise<T>): Promise<T> {
    this.sweeping = true;
    this.wokenWhileSweeping = false;
    try {
      return await work();
    } finally {
      this.sweeping = false;
    }
  }

  private async run() {
    const { services, close } = await buildServices(this.env);
    try {
      return await sweep(services, this.intervalMs);
    } finally {
      await close();
    }
  }

  private get intervalMs(): number {
    return numberSetting(this.env, "SWEEP_INTERVAL_MS");
  }
}
