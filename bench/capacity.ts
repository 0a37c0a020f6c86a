import { CAP, runFleet } from "./fleet.js";

// Capacity: the whole fleet submitted at once against a host that refuses a sandbox beyond CAP
// (E2B's concurrent-sandbox cap), MAX_SANDBOXES = CAP: nothing may end `error` for want of room,
// and completions keep up with the host alone at CAP callers, measured in the same run.
export async function benchCapacity(): Promise<Record<string, number>> {
  const fleet = await runFleet({ submitters: Number(process.env.BENCH_FLEET ?? 500), hostCap: CAP });
  const errors = fleet.executions - (fleet.statuses.succeeded ?? 0);
  console.log(
    `capacity: ${errors} of ${fleet.executions} did not succeed; ${fleet.hostRefusals} creates refused by the host; at most ${fleet.peakSandboxes} sandboxes alive`,
  );
  return {
    errors,
    share_of_host: fleet.rate / fleet.baselineRate,
    peak_sandboxes: fleet.peakSandboxes,
    completions_per_s: fleet.rate,
    host_alone_completions_per_s: fleet.baselineRate,
    host_refusals: fleet.hostRefusals,
  };
}
