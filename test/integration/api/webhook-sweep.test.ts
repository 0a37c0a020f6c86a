import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Database } from "../../../db/client.js";
import { claimExecution, completedEventOf, finishExecution, loadExecution } from "../../../functions/ledger/index.js";
import type { DeliveryMessage } from "../../../functions/queues.js";
import type { Clock } from "../../../functions/services/clock.js";
import { type DeliveryServices, deliverEvent, requeueOverdueEvents } from "../../../functions/services/event-delivery.js";
import { DnsOverHttpsResolver } from "../../../functions/services/host-resolver.js";
import { FetchWebhookTransport } from "../../../functions/services/webhook-transport.js";
import { openDatabase } from "./harness.js";
import { seedKey, submitDirect } from "./ledger-fixture.js";
import { MemoryQueue } from "./memory-queue.js";
import { Receiver } from "./receiver.js";

// A delivery whose queue message is lost is found by a sweep, not lost: the real ledger,
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

test("an owed event whose queue message was lost is re-queued by the sweep once overdue, then delivered", async () => {
  let now = new Date();
  const clock: Clock = { now: () => now };
  const { secrets, created, key } = await seedKey(db, clock);
  const row = await submitDirect(db, key, clock, { code: "1", webhook_url: receiver.url }, 74n);
  await claimExecution({ db, clock }, row.id, "sbx_test");
  // Finishing owes the event in the outbox; its queue message is never sent (the runner died).
  await finishExecution({ db }, row.id, {
    status: "succeeded",
    finishedAt: now,
    durationMs: 1,
    sandboxMs: 300,
    costMicros: 37n,
    result: null,
  });
  const owed = await completedEventOf({ db }, row.id);
  expect(owed?.status).toBe("pending");

  const queue = new MemoryQueue<DeliveryMessage>();
  const services = {
    db,
    secrets,
    clock,
    webhooks: new FetchWebhookTransport(),
    deliveries: queue.asQueue(),
    config: { WEBHOOK_RETRY_SCHEDULE: [5, 300], WEBHOOK_TIMEOUT_MS: 5000, ALLOW_PRIVATE_WEBHOOKS: true },
    // Private destinations are allowed here, so no name is resolved.
    resolver: new DnsOverHttpsResolver("http://127.0.0.1:9/unused"),
  } as unknown as DeliveryServices;
  now = new Date(now.getTime() + 10_000);
  await requeueOverdueEvents(services);
  expect(queue.sent.map((m) => m.body.eventId)).not.toContain(owed?.id);

  now = new Date(now.getTime() + 120_000);
  await requeueOverdueEvents(services);
  expect(queue.sent.map((m) => m.body.eventId)).toContain(owed?.id);

  expect(await deliverEvent(services, owed?.id ?? "")).toBe("delivered");
  const [delivery] = await receiver.waitFor(1);
  const event = new Webhook(created.webhook_secret).verify(delivery?.body ?? "", delivery?.headers as Record<string, string>) as {
    data: { id: string };
  };
  expect(event.data.id).toBe(row.id);
  expect(delivery?.headers["webhook-id"]).toBe(owed?.id);
  expect((await loadExecution({ db }, row.id))?.webhook?.status).toBe("delivered");
  expect(await deliverEvent(services, owed?.id ?? "")).toBe("nothing_to_do");
});
