import { newApp } from "./app.js";
import { consumeRuns } from "./consumers/runs.js";
import type { Env, RunMessage } from "./env.js";
import { runMaintenance } from "./jobs/maintenance.js";
import { buildServices } from "./services.js";

const app = newApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env, ctx) => consumeRuns(batch, env, ctx),
  async scheduled(_controller, env, ctx) {
    const { services, close } = await buildServices(env);
    try {
      await runMaintenance(services);
    } finally {
      ctx.waitUntil(close());
    }
  },
} satisfies ExportedHandler<Env, RunMessage>;
