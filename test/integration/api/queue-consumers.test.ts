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
import { FakeSandboxes } from "../../support/fake-sandboxes.js";
import { RecordingBatch } from "../../support/recording-batch.js";
import { openDatabase } from "./harness.js";
import { seedKey, submitDirect } from "./ledger-fixture.js";
import { MemoryQueue } from "./memory-queue.js";
import { Receiver } from "./receiver.js";

// The queue consumers' contract with Cloudflare Queues: every message acknowledged or retried
// explicitly, with a computed delay. Real ledger and receiver; a fake sandbox provider.
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
    sandboxes: new FakeSandboxes(),
    deliveries: deliveries.asQueue(),
    queue: new MemoryQueue<RunMessage>().asQueue(),
    webhooks: new FetchWebhookTransport(),
    resolver: new DnsOverHttpsResolver("http://127.0.0.1:9/unused"),
  } as unknown as Services;
  return { services, deliveries };
}

describe("the run queue's consumer", () => {
  test("runs and acknowledges each message; a redelivered one is acknowledged without a second run", async () => {
    const { key, secrets } = await seedKey(db, { now: () => new Date() });
    const row = await submitDirect(db, key, { now: () => new Date() }, { code: "1", webhook_url: receiver.url }, 100n, secrets);
    const { services } = await servicesFor(secrets);
    const batch = new RecordingBatch<RunMessage>(QUEUES.runs, [{ executionId: row.id }]);
    await consumeRuns(batch, services);
    expect(batch.outcomes).toEqual(["ack"]);
    expect((await loadExecution({ db }, row.id))?.status).toBe("succeeded");
    await receiver.waitFor(1);
    expect((await completedEventOf({ db }, row.id))?.status).toBe("delivered");

    const again = new RecordingBatch<RunMessage>(QUEUES.runs, [{ executionId: row.id }], 2);
    await consumeRuns(again, services);
    expect(again.outcomes).toEqual(["ack"]);
    expect((services.sandboxes as FakeSandboxes).created).toHaveLength(1);
  });

  test("a message whose handling fails is retried with a growing delay, not acknowledged", async () => {
    const { key, secrets } = await seedKey(db, { now: () => new Date() });
    const row = await submitDirect(db, key, { now: () => new Date() }, { code: "1" }, 100n, secrets);
    // The database is out of reach: the claim itself fails.
    const unreachable = openDatabase();
    await unreachable.close();
    const { services } = await servicesFor(secrets);
    services.db = unreachable.db;
    const quiet = console.error;
    console.error = () => {};
    try {
      const first = new RecordingBatch<RunMessage>(QUEUES.runs, [{ executionId: row.id }], 1);
      await consumeRuns(first, services);
      const fourth = new RecordingBatch<RunMessage>(QUEUES.runs, [{ executionId: row.id }], 4);
      await consumeRuns(fourth, services);
      expect(first.outcomes).toEqual([{ retryDelaySeconds: 2 }]);
      expect(fourth.outcomes).toEqual([{ retryDelaySeconds: 16 }]);
      expect((await loadExecution({ db }, row.id))?.status).toBe("queued");
    } finally {
      console.error = quiet;
    }
  });

  test("its dead letters end still-queued executions as error, release them, owe their webhook, and are acknowledged", async () => {
    const { key, secrets } = await seedKey(db, { now: () => new Date() });
    const row = await submitDirect(db, key, { now: () => new Date() }, { code: "1", webhook_url: receiver.url }, 100n, secrets);
    const { services, deliveries } = await servicesFor(secrets);
    const batch = new RecordingBatch<RunMessage>(QUEUES.runsDead, [{ executionId: row.id }]);
    await consumeDeadRuns(batch, services);
    expect(batch.outcomes).toEqual(["ack"]);
    const failed = await loadExecution({ db }, row.id);
    expect(failed?.status).toBe("error");
    expect(failed?.costMicros).toBe(0n);
    const event = await completedEventOf({ db }, row.id);
    expect(deliveries.sent.map((m) => m.body.eventId)).toEqual([event?.id]);
  });
});

test("an execution whose inputs cannot be opened ends as an error at once, at no cost, and its message is acknowledged", async () => {
  const { key } = await seedKey(db, { now: () => new Date() });
  // Sealed under one key-encryption key, opened under another.
  const row = await submitDirect(db, key, { now: () => new Date() }, { code: "1" }, 100n);
  const { services } = await servicesFor(await SecretBox.fromBase64(randomBytes(32).toString("base64")));
  const batch = new RecordingBatch<RunMessage>(QUEUES.runs, [{ executionId: row.id }]);
  await consumeRuns(batch, services);
  expect(batch.outcomes).toEqual(["ack"]);
  const ended = await loadExecution({ db }, row.id);
  expect(ended?.status).toBe("error");
  expect(ended?.costMicros).toBe(0n);
});

describe("the delivery queue's consumer", () => {
  test("a message from before the outbox, naming the execution, is delivered and acknowledged", async () => {
    const { key, secrets } = await seedKey(db, { now: () => new Date() });
    const row = await submitDirect(db, key, { now: () => new Date() }, { code: "1", webhook_url: receiver.url }, 100n, secrets);
    const { services } = await servicesFor(secrets);
    await consumeDeadRuns(new RecordingBatch<RunMessage>(QUEUES.runsDead, [{ executionId: row.id }]), services);
    const before = receiver.received.length;
    const batch = new RecordingBatch<DeliveryMessage | { executionId: string }>(QUEUES.deliveries, [{ executionId: row.id }]);
    await consumeDeliveries(batch, services);
    expect(batch.outcomes).toEqual(["ack"]);
    await receiver.waitFor(before + 1);
    expect((await completedEventOf({ db }, row.id))?.status).toBe("delivered");
  });
});
