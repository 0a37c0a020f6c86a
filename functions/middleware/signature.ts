import type { Context, MiddlewareHandler } from "hono";
import type { KeyRow } from "../../db/schema/index.js";
import type { AppEnv } from "../context.js";
import { ApiError, REPLAYED_MESSAGE } from "../errors.js";
import { idPattern } from "../ids.js";
import { cachedKey, freshKey } from "../services/key-cache.js";
import { recordSignatureUse } from "../services/nonces.js";
import type { SecretBox } from "../services/secrets.js";
import { constantTimeEqualText, signRequest } from "../services/signing.js";
import { assertJson } from "./body-limits.js";

const TOLERANCE_S = 300;
const TIMESTAMP = /^\d{1,12}(\.\d{1,3})?$/;
const SIGNATURE = /^v1=[0-9a-f]{64}$/;
const KEY_ID = idPattern("key");
/** An unknown key and a signature that does not verify answer alike: the answer reveals no key. */
const UNAUTHORIZED = "invalid signature or unknown key";
const ALL_HEADERS = "send X-Runledger-Key, X-Runledger-Timestamp and X-Runledger-Signature";

/** What is missing or malformed in the signing headers, said plainly; null when they are all in form. */
function headerProblem(keyId: string | undefined, timestamp: string | undefined, signatures: string[]): string | null {
  const missing = [
    keyId ? null : "X-Runledger-Key",
    timestamp ? null : "X-Runledger-Timestamp",
    signatures.length ? null : "X-Runledger-Signature",
  ].filter((name) => name !== null);
  if (missing.length) return `missing ${missing.join(", ")}: ${ALL_HEADERS}`;
  if (!TIMESTAMP.test(timestamp ?? "")) return "X-Runledger-Timestamp must be unix seconds, optionally with milliseconds (1795342245.123)";
  if (signatures.length > 8) return "X-Runledger-Signature carries at most 8 signatures";
  if (!signatures.every((s) => SIGNATURE.test(s))) return "X-Runledger-Signature must be v1=<64 lowercase hex chars of HMAC-SHA256>";
  return null;
}

/** A signature that matched, and how its use is to be recorded. */
export interface SignatureUse {
  keyId: string;
  signature: string;
  idempotencyKey: string | null;
  expiresAt: Date;
  /** The ciphertext of the key's secret it matched (the current one, or the previous in its grace). */
  secretCiphertext: string;
  /** Whether its use is in the database yet: a submit leaves it to its own statement. */
  recorded: boolean;
  /** A read's recording, while it runs beside the read. */
  recording?: Promise<void>;
}

/**
 * The request signature (README, "Calling it"; the OpenAPI document's security schemes): the HMAC of
 * `{timestamp}\n{METHOD}\n{path-and-query}\n{sha256(body)}` under the key's secret (or, for 24 hours
 * after a rotation, its previous one), a timestamp within 300 s, and each signature used once.
 * Then a revoked key is refused, and a body must be valid JSON.
 *
 * The key is read from the isolate's short-lived copy. A submit records the signature in its own
 * statement, which checks the key's secret, revocation and limits again under its lock, so a
 * submit is one round trip; every other request records it here, with the key's revocation as the
 * database has it. A submit refused before its statement records the signature then
 * (`settleSignature`), so the contract's order of checks holds either way.
 */
export const verifySignature: MiddlewareHandler<AppEnv> = async (c, next) => {
  const keyId = c.req.header("x-runledger-key");
  const timestamp = c.req.header("x-runledger-timestamp");
  const signatures = (c.req.header("x-runledger-signature") ?? "").split(" ").filter(Boolean);
  const malformed = headerProblem(keyId, timestamp, signatures);
  if (malformed) throw new ApiError("unauthorized", malformed);
  // A key id that is not in a key id's form names no key: the same answer as an unknown one.
  if (!keyId || !KEY_ID.test(keyId)) throw new ApiError("unauthorized", UNAUTHORIZED);
  if (!timestamp) throw new ApiError("unauthorized", ALL_HEADERS);
  const { db, clock, secrets, sweeps } = c.get("services");
  const now = clock.now();
  // In the documented order (README, "Calling it"): an unknown key, then the timestamp, then the signature.
  let key = await cachedKey(db, keyId, (work) => c.executionCtx.waitUntil(work));
  if (!key) throw new ApiError("unauthorized", UNAUTHORIZED);
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > TOLERANCE_S) {
    throw new ApiError("timestamp_out_of_range", `the timestamp must be within ${TOLERANCE_S} seconds of the server's clock`, {
      server_time: Math.floor(now.getTime() / 1000),
    });
  }
  const url = new URL(c.req.url);
  const signed = { timestamp, method: c.req.method, pathAndQuery: url.pathname + url.search, body: c.get("rawBody"), signatures };
  let matched = await matchingSignature(secrets, key, signed, now);
  if (!matched) {
    // The copy may predate a rotation: the database decides.
    key = await freshKey(db, keyId);
    matched = key ? await matchingSignature(secrets, key, signed, now) : null;
  }
  if (!key || !matched) throw new ApiError("unauthorized", UNAUTHORIZED);

  const use: SignatureUse = {
    keyId: key.id,
    signature: matched.signature.slice(3),
    idempotencyKey: c.req.header("idempotency-key") ?? null,
    expiresAt: new Date(now.getTime() + 2 * TOLERANCE_S * 1000),
    secretCiphertext: matched.secretCiphertext,
    recorded: false,
  };
  c.set("signatureUse", use);
  try {
    const isSubmit = c.req.method === "POST" && url.pathname === "/v1/executions";
    if (c.req.method === "GET") return await readWhileRecording(c, key, use, next);
    if (!isSubmit) await recordUse(c, use);
    else if (key.revokedAt) throw new ApiError("key_revoked", "this key has been revoked");
    c.set("key", key);
    assertJson(signed.body, c.req.url);
    await next();
  } finally {
    // Once the request's work is recorded, the sweeper watches it (and forgets this nonce later).
    c.executionCtx.waitUntil(sweeps.wake());
  }
};

/**
 * A read changes nothing, so it runs while its signature's use is recorded: one round trip of
 * waiting, not two. Its answer counts only once the use is recorded; a replay or a revoked key
 * answers first, as the contract orders the checks, and the read's answer is dropped.
 */
async function readWhileRecording(c: Context<AppEnv>, key: KeyRow, use: SignatureUse, next: () => Promise<void>): Promise<void> {
  c.set("key", key);
  const recording = recordUse(c, use);
  recording.catch(() => {});
  use.recording = recording;
  const reading = next();
  reading.catch(() => {});
  await recording;
  await reading;
}

/**
 * A refusal of a request whose signature is not recorded yet (a submit refused before, or by, its
 * statement): the signature is recorded now, and a replay or a revoked key answers first, as the
 * contract orders the checks.
 */
export async function settleSignature(c: Context<AppEnv>, refusal: ApiError): Promise<ApiError> {
  const use = c.get("signatureUse");
  if (!use || use.recorded) return refusal;
  try {
    await (use.recording ?? recordUse(c, use));
  } catch (error) {
    // The database may be what failed the request: then its own refusal stands.
    if (error instanceof ApiError) return error;
  }
  return refusal;
}

async function recordUse(c: Context<AppEnv>, use: SignatureUse): Promise<void> {
  const recorded = await recordSignatureUse(c.get("services").db, use);
  use.recorded = true;
  // The one exception: an exact resend of a submit with the Idempotency-Key its first use carried
  // is answered by the idempotency rule (the same execution), so a network retry is always safe.
  // A captured request resent with another or an added key is a replay: nothing runs.
  const url = new URL(c.req.url);
  const isSubmit = c.req.method === "POST" && url.pathname === "/v1/executions";
  const idempotentResend = isSubmit && use.idempotencyKey !== null && recorded.boundIdempotencyKey === use.idempotencyKey;
  if (!recorded.fresh && !idempotentResend) throw new ApiError("replayed_request", REPLAYED_MESSAGE);
  if (recorded.revoked) throw new ApiError("key_revoked", "this key has been revoked");
}

/** The first sent signature that one of the key's secrets makes, with that secret's ciphertext. */
async function matchingSignature(
  secrets: SecretBox,
  key: KeyRow,
  signed: { timestamp: string; method: string; pathAndQuery: string; body: Uint8Array; signatures: string[] },
  now: Date,
): Promise<{ signature: string; secretCiphertext: string } | null> {
  const ciphertexts = [key.secretCiphertext];
  if (key.previousSecretCiphertext && key.previousSecretValidUntil && key.previousSecretValidUntil > now) {
    ciphertexts.push(key.previousSecretCiphertext);
  }
  for (const ciphertext of ciphertexts) {
    const secret = await secrets.open(ciphertext, key.id);
    const expected = `v1=${await signRequest(secret, signed.timestamp, signed.method, signed.pathAndQuery, signed.body)}`;
    let found: string | null = null;
    for (const sent of signed.signatures) if (constantTimeEqualText(sent, expected)) found ??= sent;
    if (found) return { signature: found, secretCiphertext: ciphertext };
  }
  return null;
}
