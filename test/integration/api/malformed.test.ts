import fc from "fast-check";
import { expect, test } from "vitest";
import { signRequest } from "../../../functions/services/signing.js";
import { apiUrl, newKey } from "./harness.js";

// No request shape, however malformed, gets a 5xx; every error is in the contract's envelope.
// (A larger fuzz lives with the fault suite; this one covers shapes cheaply on every run.)
const ERROR_CODES =
  /^(invalid_request|invalid_json|unauthorized|timestamp_out_of_range|replayed_request|budget_exceeded|key_revoked|template_not_allowed|not_found|idempotency_conflict|execution_finished|payload_too_large|unsupported_media_type|concurrency_limit)$/;

const jsonish = fc.oneof(
  fc.json(),
  fc.string(),
  fc.record(
    {
      code: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      language: fc.string(),
      timeout_ms: fc.oneof(fc.integer(), fc.double(), fc.string()),
    },
    { requiredKeys: [] },
  ),
  fc.record({
    code: fc.constant("1"),
    env: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
    files: fc.array(fc.record({ path: fc.string(), content: fc.string(), encoding: fc.string() })),
  }),
);

test("malformed bodies, headers, paths and signatures never get a 5xx", async () => {
  const { key } = await newKey({ budget_usd: "0.01" });
  const encoder = new TextEncoder();
  await fc.assert(
    fc.asyncProperty(
      jsonish,
      fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT"),
      fc.constantFrom(
        "/v1/executions",
        "/v1/executions?wait=abc",
        "/v1/executions?limit=-1",
        "/v1/executions/exe_x",
        "/v1/executions/%ZZ/cancel",
        "/admin/keys",
        "/admin/keys/x",
      ),
      fc.constantFrom("valid", "garbage", "missing"),
      fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8", ""),
      async (body, method, path, signing, contentType) => {
        const text = typeof body === "string" ? body : JSON.stringify(body);
        const sendsBody = method !== "GET" && method !== "DELETE";
        const ts = (Date.now() / 1000).toFixed(3);
        const signature =
          signing === "valid" ? `v1=${await signRequest(key.secret, ts, method, path, encoder.encode(sendsBody ? text : ""))}` : "v1=zz";
        const headers: Record<string, string> = { "x-runledger-key": key.id, "x-runledger-timestamp": ts, authorization: "Bearer nope" };
        if (signing !== "missing") headers["x-runledger-signature"] = signature;
        if (contentType && sendsBody) headers["content-type"] = contentType;
        const res = await fetch(`${apiUrl()}${path}`, { method, headers, body: sendsBody ? text : undefined });
        expect(res.status, `${method} ${path} ${text.slice(0, 100)}`).toBeLessThan(500);
        if (res.status >= 400) {
          const parsed = (await res.json()) as { error: { code: string; request_id: string } };
          expect(parsed.error.code).toMatch(ERROR_CODES);
          expect(parsed.error.request_id).toBe(res.headers.get("x-request-id"));
        } else {
          await res.arrayBuffer();
        }
      },
    ),
    { numRuns: 300 },
  );
}, 120_000);
