import { describeForLog } from "../log.js";
import type { SweeperNamespace } from "./stubs.js";

/** A wake this close to the sweep already due may miss it: the sweeper is woken again instead. */
const MARGIN_MS = 5_000;

/** When this isolate last heard the next sweep is due: until shortly before then, no wake is needed. */
let nextSweepAt = 0;

/**
 * The Worker's side of the sweeper: activity wakes it, at most about once per sweep interval per
 * isolate, since a sweep already due will see whatever this request records.
 */
export class Sweeps {
  constructor(private readonly namespace: SweeperNamespace) {}

  /** Makes sure a sweep will see this request's work; never fails the request. */
  async wake(): Promise<void> {
    if (Date.now() < nextSweepAt - MARGIN_MS) return;
    try {
      nextSweepAt = await this.namespace.getByName("global").wake();
    } catch (error) {
      console.error(`waking the sweeper failed: ${describeForLog(error)}`);
    }
  }
}
