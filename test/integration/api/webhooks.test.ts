import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, test } from "vitest";
import type { RunledgerClient } from "../../../client/client.js";
import { type Execution, newKey, run } from "./harness.js";
import { Receiver } from "./receiver.js";

// Deliveries to a receiver on loopback, verified with the standardwebhooks package unchanged.
// The suite's stack retries after 1 s instead of 5 s, 5 min, …, and cuts attempts at 1.5 s.
interface Delivery {
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function webhookSettled(client: RunledgerClient, id: string, status: string, timeoutMs = 30_000): Promise<Execution> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const execution = (await client.request<Execution>("GET", `/v1/executions/${id}`)).body;
    if (execution.webhook?.status === status) return execution;
    if (Date.now() > deadline) throw new Error(`webhook of ${id} is ${JSON.stringify(execution.webhook)}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function deliveries(client: RunledgerClient, id: string): Promise<Delivery[]> {
  return (await client.request<{ data: Delivery[] }>("GET", `/v1/executions/${id}/deliveries`)).body.data;
}

describe("webhook delivery", () => {
  test("a receiver verifies the delivery with the standardwebhooks library and the key's secret", async () => {
    receiver = await Receiver.start();
    const { key, client } = await newKey();
    const execution = await run(client, { code: "print('hooked')", webhook_url: receiver.url });
    const [delivery] = await receiver.waitFor(1);
    if (!delivery) throw new Error("no delivery");
    const verified = new Webhook(key.webhook_secret).verify(delivery.body, delivery.headers as Record<string, string>) as {
      type: string;
      timestamp: string;
      data: Execution;
    };
    expect(verified.type).toBe("execution.completed");
    expect(verified.data.id).toBe(execution.id);
    expect(verified.data.status).toBe("succeeded");
    expect(verified.data.result?.stdout).toBe("hooked\n");
    expect(delivery.headers["webhook-id"]).toMatch(/^msg_[0-9a-hjkmnp-tv-z]{24}$/);
    expect(delivery.headers["content-type"]).toBe("application/json");
    const tampered = delivery.body.replace("hooked", "hacked");
    expect(() => new Webhook(key.webhook_secret).verify(tampered, delivery.headers as Record<string, string>)).toThrow();
    const settled = await webhookSettled(client, execution.id, "delivered");
    expect(settled.webhook).toEqual({ url: receiver.url, status: "delivered", attempts: 1 });
    const log = await deliveries(client, execution.id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ attempt: 1, status_code: 200, error: null });
  });

  test("500, 500, then 200: delivered on the third attempt, every attempt logged, one webhook-id", async () => {
    receiver = (await Receiver.start()).reply({ status: 500 }, { status: 500 });
    const { client } = await newKey();
    const execution = await run(client, { code: "1", webhook_url: receiver.url });
    const received = await receiver.waitFor(3);
    expect(new Set(received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    await webhookSettled(client, execution.id, "delivered");
    const log = await deliveries(client, execution.id);
    expect(log.map((d) => [d.attempt, d.status_code])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
  });

  test("429 with Retry-After: 2 waits about that long", async () => {
    receiver = (await Receiver.start()).reply({ status: 429, headers: { "retry-after": "2" } });
    const { client } = await newKey();
    const execution = await run(client, { code: "1", webhook_url: receiver.url });
    const [first, second] = await receiver.waitFor(2);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1900);
    await webhookSettled(client, execution.id, "delivered");
  });

  test("410 Gone stops at once and marks the webhook failed", async () => {
    receiver = (await Receiver.start()).otherwise({ status: 410 });
    const { client } = await newKey();
    const execution = await run(client, { code: "1", webhook_url: receiver.url });
    await webhookSettled(client, execution.id, "failed");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.received).toHaveLength(1);
    expect((await deliveries(client, execution.id)).map((d) => d.status_code)).toEqual([410]);
  });

  test("a receiver that never answers is cut at the timeout and tried again", async () => {
    receiver = (await Receiver.start()).reply("hang");
    const { client } = await newKey();
    const execution = await run(client, { code: "1", webhook_url: receiver.url });
    await webhookSettled(client, execution.id, "delivered");
    const [cut, ok] = await deliveries(client, execution.id);
    expect(cut?.status_code).toBeNull();
    expect(cut?.error).toContain("no answer within 1500 ms");
    expect(cut?.duration_ms).toBeGreaterThanOrEqual(1400);
    expect(ok?.status_code).toBe(200);
  });

  test("a redirect is not followed", async () => {
    receiver = (await Receiver.start()).reply({ status: 302, headers: { location: "http://127.0.0.1:1/elsewhere" } });
    const { client } = await newKey();
    const execution = await run(client, { code: "1", webhook_url: receiver.url });
    await webhookSettled(client, execution.id, "delivered");
    const [redirected] = await deliveries(client, execution.id);
    expect(redirected).toMatchObject({ status_code: 302, error: "redirects are not followed" });
  });

  test("exhausted retries mark the webhook failed; redeliver brings it back with the same webhook-id", async () => {
    receiver = (await Receiver.start()).otherwise({ status: 500 });
    const { client } = await newKey();
    const execution = await run(client, { code: "1", webhook_url: receiver.url });
    await webhookSettled(client, execution.id, "failed", 60_000);
    expect(receiver.received).toHaveLength(8);
    // A redelivery starts the schedule afresh: its first failure is retried, not final.
    receiver.reply({ status: 500 }).otherwise({ status: 204 });
    const again = await client.request<Execution>("POST", `/v1/executions/${execution.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body.webhook?.status).toBe("pending");
    await webhookSettled(client, execution.id, "delivered");
    const log = await deliveries(client, execution.id);
    expect(log.map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(log.map((d) => d.status_code).slice(-2)).toEqual([500, 204]);
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
  }, 90_000);

  test("redeliver needs a finished execution that has a webhook", async () => {
    const { client } = await newKey();
    const plain = await run(client, { code: "1" });
    const refused = await client.request<{ error: { code: string } }>("POST", `/v1/executions/${plain.id}/redeliver`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("invalid_request");
  });
});
