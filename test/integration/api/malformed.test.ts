import { sql } from "drizzle-orm";
import fc from "fast-check";
import { expect, test } from "vitest";
import { signRequest } from "../../../functions/services/signing.js";
import { apiUrl, newKey, openDatabase } from "./harness.js";

// No request shape, however malformed, gets a 5xx; every error is in the contract's envelope;
// and nothing a refused request sent reaches the ledger. FUZZ_RUNS sets the count (default 10,000).
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const ERROR_CODES =
  /^(invalid_request|invalid_json|unauthorized|timestamp_out_of_range|replayed_request|budget_exceeded|key_revoked|template_not_allowed|not_found|idempotency_conflict|execution_finished|payload_too_large|unsupported_media_type|concurrency_limit)$/;

const bodies = fc.oneof(
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
    metadata: fc.dictionary(fc.string(), fc.string()),
    webhook_url: fc.oneof(fc.webUrl(), fc.string()),
  }),
);

const timestamps = fc.oneof(
  fc.constant("now"),
  fc.constant("now-ms"),
  fc.integer({ min: -100_000, max: 100_000 }).map((skew) => `skew:${skew}`),
  fc.string({ maxLength: 20 }),
);

function timestampFor(kind: string): string {
  const now = Date.now() / 1000;
  if (kind === "now") return String(Math.floor(now));
  if (kind === "now-ms") return now.toFixed(3);
  if (kind.startsWith("skew:")) return String(Math.floor(now) + Number(kind.slice(5)));
  return kind;
}

test(`${RUNS} malformed requests over bodies, headers, signatures and timestamps: no 5xx`, async () => {
  const { key } = await newKey({ budget_usd: "0.01" });
  const encoder = new TextEncoder();
  let accepted = 0;
  let sequence = 0;
  await fc.assert(
    fc.asyncProperty(
      bodies,
      fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT"),
      fc.constantFrom(
        "/v1/executions",
        "/v1/executions?wait=abc",
        "/v1/executions?limit=-1",
        "/v1/executions/exe_x",
        "/v1/executions/%ZZ/cancel",
        "/v1/costs?from=x",
        "/admin/keys",
        "/admin/keys/x",
      ),
      fc.constantFrom("valid", "garbage", "missing", "wrong-secret", "many"),
      timestamps,
      fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8", ""),
      fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
      async (body, method, path, signing, timestampKind, contentType, idempotencyKey) => {
        const text = typeof body === "string" ? body : JSON.stringify(body);
        const sendsBody = method !== "GET" && method !== "DELETE";
        sequence += 1;
        // Each valid signature must be fresh, or it is (rightly) a replay.
        const ts = timestampKind === "now-ms" ? ((Date.now() + sequence) / 1000).toFixed(3) : timestampFor(timestampKind);
        const bytes = encoder.encode(sendsBody ? text : "");
        const good = `v1=${await signRequest(key.secret, ts, method, path, bytes)}`;
        const signature = {
          valid: good,
          garbage: "v1=zz",
          missing: undefined,
          "wrong-secret": `v1=${await signRequest("sk_wrong", ts, method, path, bytes)}`,
          many: `v1=${"a".repeat(64)} ${good}`,
        }[signing];
        const headers: Record<string, string> = { "x-runledger-key": key.id, "x-runledger-timestamp": ts, authorization: "Bearer nope" };
        if (signature) headers["x-runledger-signature"] = signature;
        if (contentType && sendsBody) headers["content-type"] = contentType;
        if (idempotencyKey !== undefined && /^[\t\x20-\x7e]*$/.test(idempotencyKey)) headers["idempotency-key"] = idempotencyKey;
        const res = await fetch(`${apiUrl()}${path}`, { method, headers, body: sendsBody ? text : undefined });
        expect(res.status, `${method} ${path} ${text.slice(0, 100)}`).toBeLessThan(500);
        if (res.status >= 400) {
          const parsed = (await res.json()) as { error: { code: string; request_id: string } };
          expect(parsed.error.code).toMatch(ERROR_CODES);
          expect(parsed.error.request_id).toBe(res.headers.get("x-request-id"));
        } else {
          const answer = (await res.json()) as { id?: string };
          if (method === "POST" && path.startsWith("/v1/executions") && res.status === 202 && answer.id) accepted += 1;
        }
      },
    ),
    { numRuns: RUNS },
  );
  const { db, close } = openDatabase();
  try {
    const rows = await db.execute<{ n: number }>(sql`select count(*)::int as n from executions where key_id = ${key.id}`);
    expect(rows.rows[0]?.n).toBe(accepted);
  } finally {
    await close();
  }
}, 600_000);
