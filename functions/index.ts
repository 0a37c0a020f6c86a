import { newApp } from "./app.js";
import { buildServices } from "./build-services.js";
import { consumeDeadDeliveries, consumeDeliveries } from "./consumers/deliveries.js";
import { consumeDeadRuns, consumeRuns } from "./consumers/runs.js";
import type { Env } from "./env.js";
import { type DeliveryMessage, QUEUES, type QueueBatch, type RunMessage } from "./queues.js";

export { RunHolder } from "./objects/run-holder.js";
export { SandboxGovernor } from "./objects/sandbox-governor.js";
export { Sweeper } from "./objects/sweeper.js";

const app = newApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),

  async queue(batch, env, ctx) {
    const { services, close } = await buildServices(env);
    try {
      switch (batch.queue) {
        case QUEUES.runs:
          return await consumeRuns(batch as QueueBatch<RunMessage>, services);
        case QUEUES.runsDead:
          return await consumeDeadRuns(batch as QueueBatch<RunMessage>, services);
        case QUEUES.deliveries:
          return await consumeDeliveries(batch as QueueBatch<DeliveryMessage>, services);
        case QUEUES.deliveriesDead:
          return await consumeDeadDeliveries(batch as QueueBatch<DeliveryMessage>, services);
        default:
          console.error(`messages from an unknown queue ${batch.queue} were left for retry`);
          batch.retryAll();
      }
    } finally {
      ctx.waitUntil(close());
    }
  },
} satisfies ExportedHandler<Env, RunMessage | DeliveryMessage>;
