import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Database } from "../../../db/client.js";
import { consumeDeliveries } from "../../../functions/consumers/deliveries.js";
import { consumeDeadRuns, consumeRuns } from "../../../functions/consumers/runs.js";
import type { Services } from "../../../functions/context.js";
import { parseConfig } from "../../../functions/env.js";
import { completedEventOf, loadExecution } from "../../../functions/ledger/index.js";
import { type DeliveryMessage, QUEUES, type RunMessage } from "../../../functions/queues.js";
import { DnsOverHttpsResolver } from "../../../functions/services/host-resolver.js";
import { SecretBox } from "../../../functions/services/secrets.js";
import { FetchWebhookTransport } from "../../../functions/services/webhook-transport.js";
import { RecordingBatch } from "../../support/recording-batch.js";
import { openDatabase } from "./harness.js";
import { seedKey, submitDirect } from "./ledger-fixture.js";
import { MemoryQueue } from "./memory-queue.js";
import { Receiver } from "./receiver.js";

// The queue consumers' contract with Cloudflare Queues: every message acknowledged or retried
// explicitly, with a computed delay. Real ledger and receiver; run holders that record.
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

async function servicesFor(secrets: SecretBox) {
  const deliveries = new MemoryQueue<DeliveryMessage>();
  const config = parseConfig({
    DATABASE_URL: "postgres://unused:unused@127.0.0.1:1/unused",
    ADMIN_TOKEN: "x".repeat(16),
    SECRET_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    E2B_API_KEY: "unused",
    ALLOW_PRIVATE_WEBHOOKS: "true",
    WEBHOOK_RETRY_SCHEDULE: "1,1",
  });
  const services = {
    db,
    clock: { now: () => new Date() },
    secrets,
    config,
    deliveries: deliveries.asQueue(),
    queue: new MemoryQueue<RunMessage>().asQueue(),
    webhooks: new FetchWebhookTransport(),
    resolver: new DnsOverHttpsResolver("http://127.0.0.1:9/unused"),
  } as unknown as Services;
  return { services, deliveries };
}

/** Run holders as the consumers see them: what was handed over, and what they were told ended. */
class RecordingHolders {
  readonly started: string[] = [];
  readonly settledIds: string[] = [];
  failing = false;

  async start(executionId: string) {
    if (this.failing) throw new Error("the holder could not be reached");
    this.started.push(executionId);
  }

  async settled(ids: string[]) {
    this.settledIds.push(...ids);
  }
}

describe("the run queue's consumer", () => {
  test("hands each execution to its run holder and acknowledges at once", async () => {
    const { services } = await servicesFor(await SecretBox.fromBase64(randomBytes(32).toString("base64")));
    const holders = new RecordingHolders();
    services.holders = holders as unknown as Services["holders"];
    const ids = ["exe_0000000000000000000000a1", "exe_0000000000000000000000a2", "exe_0000000000000000000000a3"];
    const batch = new RecordingBatch<RunMessage>(
      QUEUES.runs,
      ids.map((executionId) => ({ executionId, keyId: "key_000000000000000000000000" })),
    );
    await consumeRuns(batch, services);
    expect(batch.outcomes).toEqual(["ack", "ack", "ack"]);
    expect(holders.started.sort()).toEqual(ids);
  });

  test("a message whose hand-over fails is retried with a growing delay, not acknowledged", async () => {
    const { services } = await servicesFor(await SecretBox.fromBase64(randomBytes(32).toString("base64")));
    const holders = new RecordingHolders();
    holders.failing = true;
    services.holders = holders as unknown as Services["holders"];
    const quiet = console.error;
    console.error = () => {};
    try {
      const first = new RecordingBatch<RunMessage>(
        QUEUES.runs,
        [{ executionId: "exe_0000000000000000000000b1", keyId: "key_000000000000000000000000" }],
        1,
      );
      await consumeRuns(first, services);
      const fourth = new RecordingBatch<RunMessage>(
        QUEUES.runs,
        [{ executionId: "exe_0000000000000000000000b1", keyId: "key_000000000000000000000000" }],
        4,
      );
      await consumeRuns(fourth, services);
      expect(first.outcomes).toEqual([{ retryDelaySeconds: 2 }]);
      expect(fourth.outcomes).toEqual([{ retryDelaySeconds: 16 }]);
    } finally {
      console.error = quiet;
    }
  });

  test("its dead letters end still-queued executions as error, release them, owe their webhook, and are acknowledged", async () => {
    const { key, secrets } = await seedKey(db, { now: () => new Date() });
    const row = await submitDirect(db, key, { now: () => new Date() }, { code: "1", webhook_url: receiver.url }, 100n, secrets);
    const { services, deliveries } = await servicesFor(secrets);
    const holders = new RecordingHolders();
    services.holders = holders as unknown as Services["holders"];
    const batch = new RecordingBatch<RunMessage>(QUEUES.runsDead, [{ executionId: row.id }]);
    await consumeDeadRuns(batch, services);
    expect(batch.outcomes).toEqual(["ack"]);
    const failed = await loadExecution({ db }, row.id);
    expect(failed?.status).toBe("error");
    expect(failed?.costMicros).toBe(0n);
    expect(holders.settledIds).toEqual([row.id]);
    const event = await completedEventOf({ db }, row.id);
    expect(deliveries.sent.map((m) => m.body.eventId)).toEqual([event?.id]);
  });
});

describe("the delivery queue's consumer", () => {
  test("a message from before the outbox, naming the execution, is delivered and acknowledged", async () => {
    const { key, secrets } = await seedKey(db, { now: () => new Date() });
    const row = await submitDirect(db, key, { now: () => new Date() }, { code: "1", webhook_url: receiver.url }, 100n, secrets);
    const { services } = await servicesFor(secrets);
    services.holders = new RecordingHolders() as unknown as Services["holders"];
    await consumeDeadRuns(new RecordingBatch<RunMessage>(QUEUES.runsDead, [{ executionId: row.id }]), services);
    const before = receiver.received.length;
    const batch = new RecordingBatch<DeliveryMessage | { executionId: string }>(QUEUES.deliveries, [{ executionId: row.id }]);
    await consumeDeliveries(batch, services);
    expect(batch.outcomes).toEqual(["ack"]);
    await receiver.waitFor(before + 1);
    expect((await completedEventOf({ db }, row.id))?.status).toBe("delivered");
  });
});
