import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.js";
import { ApiError } from "../errors.js";
import { idPattern } from "../ids.js";
import { findKey } from "../services/keys.js";
import { recordSignatureUse } from "../services/nonces.js";
import { constantTimeEqualText, signRequest } from "../services/signing.js";
import { assertJson } from "./body-limits.js";

const TOLERANCE_S = 300;
const TIMESTAMP = /^\d{1,12}(\.\d{1,3})?$/;
const SIGNATURE = /^v1=[0-9a-f]{64}$/;
const KEY_ID = idPattern("key");
const UNAUTHORIZED = "invalid signature or unknown key";

/**
 * The request signature (README, "Calling it"; the OpenAPI document's security schemes): the HMAC of `{timestamp}\n{METHOD}\n{path-and-query}\n{sha256(body)}` under the
 * key's secret (or, for 24 hours after a rotation, its previous one), a timestamp within 300 s,
 * and each signature used once. Then a revoked key is refused, and a body must be valid JSON.
 */
export const verifySignature: MiddlewareHandler<AppEnv> = async (c, next) => {
  const keyId = c.req.header("x-runledger-key");
  const timestamp = c.req.header("x-runledger-timestamp");
  const signatures = (c.req.header("x-runledger-signature") ?? "").split(" ").filter(Boolean);
  if (
    !keyId ||
    !KEY_ID.test(keyId) ||
    !timestamp ||
    !TIMESTAMP.test(timestamp) ||
    signatures.length === 0 ||
    signatures.length > 8 ||
    !signatures.every((s) => SIGNATURE.test(s))
  ) {
    throw new ApiError("unauthorized", "send X-Runledger-Key, X-Runledger-Timestamp and X-Runledger-Signature: v1=<hex HMAC-SHA256>");
  }
  const { db, clock, secrets, sweeps } = c.get("services");
  const now = clock.now();
  // In the documented order (README, "Calling it"): an unknown key, then the timestamp, then the signature.
  const key = await findKey(db, keyId);
  if (!key) throw new ApiError("unauthorized", UNAUTHORIZED);
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > TOLERANCE_S) {
    throw new ApiError("timestamp_out_of_range", `the timestamp must be within ${TOLERANCE_S} seconds of the server's clock`, {
      server_time: Math.floor(now.getTime() / 1000),
    });
  }

  const candidates = [await secrets.open(key.secretCiphertext, key.id)];
  if (key.previousSecretCiphertext && key.previousSecretValidUntil && key.previousSecretValidUntil > now) {
    candidates.push(await secrets.open(key.previousSecretCiphertext, key.id));
  }
  const url = new URL(c.req.url);
  const pathAndQuery = url.pathname + url.search;
  const body = c.get("rawBody");
  let matched: string | null = null;
  for (const secret of candidates) {
    const expected = `v1=${await signRequest(secret, timestamp, c.req.method, pathAndQuery, body)}`;
    for (const sent of signatures) if (constantTimeEqualText(sent, expected)) matched ??= sent;
  }
  if (!matched) throw new ApiError("unauthorized", UNAUTHORIZED);

  const idempotencyKey = c.req.header("idempotency-key") ?? null;
  const use = await recordSignatureUse(db, {
    keyId: key.id,
    signature: matched.slice(3),
    idempotencyKey,
    expiresAt: new Date(now.getTime() + 2 * TOLERANCE_S * 1000),
  });
  try {
    // The one exception: an exact resend of a submit with the Idempotency-Key its first use carried
    // is answered by the idempotency rule (the same execution), so a network retry is always safe.
    // A captured request resent with another or an added key is a replay: nothing runs.
    const isSubmit = c.req.method === "POST" && url.pathname === "/v1/executions";
    const idempotentResend = isSubmit && idempotencyKey !== null && use.boundIdempotencyKey === idempotencyKey;
    if (!use.fresh && !idempotentResend) {
      throw new ApiError(
        "replayed_request",
        "this signature was already used; sign each request afresh (use the millisecond timestamp form to send more than one a second)",
      );
    }
    if (key.revokedAt) throw new ApiError("key_revoked", "this key has been revoked");
    c.set("key", key);

    assertJson(body, c.req.url);
    await next();
  } finally {
    // Once the request's work is recorded, the sweeper watches it (and forgets this nonce later).
    c.executionCtx.waitUntil(sweeps.wake());
  }
};
