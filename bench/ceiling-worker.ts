import { Hono } from "hono";
import type { Env } from "../functions/env.js";
import worker from "../functions/index.js";

export { RunHolder, SandboxGovernor, Sweeper } from "../functions/index.js";

import type { DeliveryMessage, RunMessage } from "../functions/queues.js";

// The benchmarks' Worker: runledger unchanged, plus a bare Hono route in the same isolate that
// answers 202 without touching the database, the ceiling the front door is measured against.
const bare = new Hono().post("/bench/accept", async (c) => {
  await c.req.arrayBuffer();
  return c.json({ accepted: true }, 202);
});

export default {
  ...worker,
  fetch(request, env, ctx) {
    return new URL(request.url).pathname === "/bench/accept" ? bare.fetch(request, env, ctx) : worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env, RunMessage | DeliveryMessage>;
