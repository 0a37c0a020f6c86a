import type { ServerResponse } from "node:http";
import type { Sandbox } from "./sandbox.js";

/**
 * A writer to a client's response that holds the sandbox's output while the client is behind, so
 * code that prints faster than its reader costs the host no memory: its own writes block instead.
 */
export function flowControlledWriter(res: ServerResponse, sandbox: Sandbox): (chunk: string | Buffer) => void {
  let held = false;
  const release = () => {
    if (!held) return;
    held = false;
    sandbox.release();
  };
  res.on("drain", release);
  res.on("close", release);
  return (chunk) => {
    if (!res.write(chunk) && !held && !res.destroyed) {
      held = true;
      sandbox.hold();
    }
  };
}
