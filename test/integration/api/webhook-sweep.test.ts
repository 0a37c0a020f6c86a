import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Database } from "../../../db/client.js";
import type { DeliveryMessage } from "../../../functions/env.js";
import type { Clock } from "../../../functions/services/clock.js";
import { DnsOverHttpsResolver } from "../../../functions/services/host-resolver.js";
import { claimExecution, finishExecution, loadExecution } from "../../../functions/services/ledger.js";
import { deliverWebhook, requeueOverdueDeliveries, scheduleDelivery } from "../../../functions/services/webhook-delivery.js";
import { FetchWebhookTransport } from "../../../functions/services/webhook-transport.js";
import { openDatabase } from "./harness.js";
import { seedKey, submitDirect } from "./ledger-fixture.js";
import { MemoryQueue } from "./memory-queue.js";
import { Receiver } from "./receiver.js";

// A delivery whose queue message is lost is found by the cron's sweep, not lost: the real ledger,
// the real delivery code and a real receiver, with an injected clock instead of real minutes.
let db: Database;
let close: () => Promise<void>;
let receiver: Receiver;

beforeAll(async () => {
  ({ db, close } = openDatabase());
  receiver = await Receiver.start();
});

afterAll(async () => {
  await receiver.close();
  await close();
});

test("a dropped delivery message is re-queued by the sweep once overdue, then delivered", async () => {
  let now = new Date();
  const clock: Clock = { now: () => now };
  const { secrets, created, key } = await seedKey(db, clock);
  const row = await submitDirect(db, key, clock, { code: "1", webhook_url: receiver.url }, 74n);
  await claimExecution(db, row.id, now);
  await finishExecution(db, row.id, { status: "succeeded", finishedAt: now, durationMs: 1, sandboxMs: 300, costMicros: 37n, result: null });

  // The first delivery's message is lost on its way to the queue.
  await scheduleDelivery(db, new MemoryQueue<DeliveryMessage>(true).asQueue(), row.id, now);
  const queue = new MemoryQueue<DeliveryMessage>();
  now = new Date(now.getTime() + 10_000);
  await requeueOverdueDeliveries(db, queue.asQueue(), now);
  expect(queue.sent.map((m) => m.body.executionId)).not.toContain(row.id);

  now = new Date(now.getTime() + 120_000);
  await requeueOverdueDeliveries(db, queue.asQueue(), now);
  expect(queue.sent.map((m) => m.body.executionId)).toContain(row.id);

  const deps = {
    db,
    secrets,
    clock,
    transport: new FetchWebhookTransport(),
    deliveries: queue.asQueue(),
    schedule: [5, 300],
    timeoutMs: 5000,
    allowPrivate: true,
    // Private destinations are allowed here, so no name is resolved.
    resolver: new DnsOverHttpsResolver("http://127.0.0.1:9/unused"),
  };
  expect(await deliverWebhook(deps, row.id)).toBe("delivered");
  const [delivery] = await receiver.waitFor(1);
  const event = new Webhook(created.webhook_secret).verify(delivery?.body ?? "", delivery?.headers as Record<string, string>) as {
    data: { id: string };
  };
  expect(event.data.id).toBe(row.id);
  expect((await loadExecution(db, row.id))?.webhookStatus).toBe("delivered");
  expect(await deliverWebhook(deps, row.id)).toBe("nothing_to_do");
});
