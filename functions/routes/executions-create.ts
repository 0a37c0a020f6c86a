import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { isFinalStatus } from "../../db/schema/enums.js";
import type { AppEnv, Services } from "../context.js";
import { ApiError, INTERNET_MESSAGE, invalidField } from "../errors.js";
import { submitExecution } from "../ledger/index.js";
import { describeForLog } from "../log.js";
import { errorResponses, signedRouteErrors, signedSecurity } from "../schemas/error.js";
import { zExecution, zExecutionCreate, zQueryInt } from "../schemas/execution.js";
import { queueDeliveries } from "../services/event-delivery.js";
import { executionView } from "../services/execution-view.js";
import { freshKey } from "../services/key-cache.js";
import { ratePicosPerSecond, reserveMicros } from "../services/pricing.js";
import { sha256Hex } from "../services/signing.js";
import { waitForFinal } from "../services/wait-for-final.js";
import { checkDestination } from "../services/webhook-destination.js";

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

const timeoutReducedHeader = z.object({
  "Runledger-Timeout-Reduced": z.string().optional().openapi({
    description: "with timeout_policy fit: the timeout_ms asked for, when the execution was admitted with less (its timeout_ms)",
  }),
});

export const createExecutionRoute = createRoute({
  method: "post",
  path: "/v1/executions",
  summary: "Submit code to run in a sandbox",
  security: signedSecurity,
  request: {
    headers: z.object({
      "idempotency-key": z
        .string()
        .optional()
        .openapi({ description: "1–255 printable characters; repeats within 24 h answer the original execution" }),
    }),
    query: z.object({
      wait: zQueryInt(0, 60, "seconds (0–60) to hold the response until the execution finishes"),
    }),
    body: { content: { "application/json": { schema: zExecutionCreate } }, required: true },
  },
  responses: {
    200: {
      description: "Finished within `wait`, or a repeat of an earlier request (`Idempotent-Replayed: true`)",
      headers: timeoutReducedHeader,
      content: { "application/json": { schema: zExecution } },
    },
    202: {
      description: "Accepted and queued (or still running when `wait` ran out)",
      headers: timeoutReducedHeader,
      content: { "application/json": { schema: zExecution } },
    },
    ...errorResponses(
      ...signedRouteErrors,
      "invalid_request",
      "template_not_allowed",
      "internet_not_allowed",
      "idempotency_conflict",
      "budget_exceeded",
      "concurrency_limit",
    ),
  },
});

export type CreateExecutionRequest = z.infer<typeof zExecutionCreate>;

export function registerCreateExecution(app: OpenAPIHono<AppEnv>): void {
  app.openapi(createExecutionRoute, async (c) => {
    const input = c.req.valid("json");
    const { wait } = c.req.valid("query");
    const key = c.get("key");
    const services = c.get("services");
    const { config, pricing, queue, resolver } = services;

    const template = input.template ?? config.DEFAULT_TEMPLATE;
    if (key.templates && !key.templates.includes(template)) {
      throw new ApiError("template_not_allowed", `this key may use only: ${key.templates.join(", ")}`);
    }
    if (input.internet === true && !key.internetAccess) throw new ApiError("internet_not_allowed", INTERNET_MESSAGE);
    const spec = pricing.templates[template];
    if (!spec) throw invalidField("template", `unknown template; known: ${Object.keys(pricing.templates).join(", ")}`);
    if (!spec.languages.includes(input.language))
      throw invalidField("language", `template ${template} runs only: ${spec.languages.join(", ")}`);
    if (input.timeout_ms > key.maxTimeoutMs) throw invalidField("timeout_ms", `must be at most ${key.maxTimeoutMs} for this key`);
    const webhookUrl =
      input.webhook_url === undefined
        ? undefined
        : await checkDestination(input.webhook_url, { allowPrivate: config.ALLOW_PRIVATE_WEBHOOKS, resolver });

    const idempotencyKey = c.req.header("idempotency-key");
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey))
      throw invalidField("Idempotency-Key", "must be 1–255 printable ASCII characters");
    const rate = ratePicosPerSecond(pricing, spec);
    const use = c.get("signatureUse");
    const next = {
      input: { ...input, template, webhook_url: webhookUrl },
      ratePicosPerSecond: rate,
      reserveMicros: reserveMicros(pricing, rate, input.timeout_ms),
      idempotency: idempotencyKey === undefined ? null : { key: idempotencyKey, requestHash: await sha256Hex(c.get("rawBody")) },
      fitAllowanceSeconds: input.timeout_policy === "fit" ? Math.ceil(pricing.startupAllowanceMs / 1000) : null,
      signature: { signature: use.signature, expiresAt: use.expiresAt, secretCiphertext: use.secretCiphertext },
    };
    const submitted = await submitExecution(services, key, next).catch(async (error: unknown) => {
      // The key's budget period changed since this isolate read it: once more, with the key as it is now.
      if ((error as { cause?: { code?: string } }).cause?.code !== "40001") throw error;
      const current = await freshKey(services.db, key.id);
      if (!current) throw new ApiError("unauthorized", "invalid signature or unknown key");
      return submitExecution(services, current, next);
    });
    use.recorded = true;
    await queueAlerts(services, submitted.eventIds);
    if (submitted.kind === "refused") throw submitted.error;
    const row = submitted.execution;
    c.header("Location", `/v1/executions/${row.id}`);
    if (submitted.kind === "replayed") {
      c.header("Idempotent-Replayed", "true");
      return c.json(executionView(row), 200);
    }
    if (row.timeoutMs < input.timeout_ms) c.header("Runledger-Timeout-Reduced", String(input.timeout_ms));
    // The execution is recorded: if the queue fails now, a sweep re-queues it within a minute or two,
    // so the caller is still told it was accepted (and will not submit, and pay, twice).
    await queue
      .send({ executionId: row.id, keyId: row.keyId })
      .catch((error: unknown) => console.error(`queueing ${row.id} failed: ${describeForLog(error)}`));

    const current = wait ? await waitForFinal(services, row, wait) : row;
    return c.json(executionView(current), isFinalStatus(current.status) && wait !== undefined ? 200 : 202);
  });
}

/** The first attempt of each budget alert the submit set off; the sweep covers a queue that fails. */
async function queueAlerts(services: Pick<Services, "deliveries">, eventIds: string[]): Promise<void> {
  await queueDeliveries(services, eventIds).catch((error: unknown) =>
    console.error(`queueing budget alerts failed: ${describeForLog(error)}`),
  );
}
