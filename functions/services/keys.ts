import { asc, eq } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { type KeyRow, keys } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { ApiError } from "../errors.js";
import { newKeyId, newKeySecret, newWebhookSecret } from "../ids.js";
import { microsToUsd } from "../money.js";
import type { Key, KeyCreate, KeyPatch } from "../schemas/key.js";
import type { Clock } from "./clock.js";
import type { SecretBox } from "./secrets.js";
import { checkDestination } from "./webhook-destination.js";

const ROTATION_GRACE_MS = 24 * 60 * 60 * 1000;

export function keyView(row: KeyRow): Key {
  return {
    id: row.id,
    name: row.name,
    budget_usd: microsToUsd(row.budgetMicros),
    budget_period: row.budgetPeriod,
    max_timeout_ms: row.maxTimeoutMs,
    max_concurrency: row.maxConcurrency,
    templates: row.templates,
    internet_access: row.internetAccess,
    hourly_limit_usd: row.hourlyLimitMicros === null ? null : microsToUsd(row.hourlyLimitMicros),
    events_url: row.eventsUrl,
    alert_thresholds: row.alertThresholds,
    created_at: row.createdAt.toISOString(),
    revoked_at: row.revokedAt ? row.revokedAt.toISOString() : null,
  };
}

export async function createKey(db: Database, box: SecretBox, input: KeyCreate, clock: Clock) {
  const id = newKeyId();
  const secret = newKeySecret();
  const webhookSecret = newWebhookSecret();
  const [row] = await db
    .insert(keys)
    .values({
      id,
      name: input.name,
      secretCiphertext: await box.seal(secret, id),
      webhookSecretCiphertext: await box.seal(webhookSecret, `${id}/webhook`),
      budgetMicros: input.budget_usd,
      budgetPeriod: input.budget_period,
      maxTimeoutMs: input.max_timeout_ms,
      maxConcurrency: input.max_concurrency,
      templates: input.templates ?? null,
      internetAccess: input.internet_access,
      hourlyLimitMicros: input.hourly_limit_usd ?? null,
      eventsUrl: input.events_url ?? null,
      alertThresholds: input.alert_thresholds,
      createdAt: clock.now(),
    })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return { ...keyView(row), secret, webhook_secret: webhookSecret };
}

export async function findKey(db: Database, id: string): Promise<KeyRow | null> {
  const [row] = await db.select().from(keys).where(eq(keys.id, id));
  return row ?? null;
}

export async function getKey(db: Database, id: string): Promise<KeyRow> {
  const row = await findKey(db, id);
  if (!row) throw new ApiError("not_found", `no key ${id}`);
  return row;
}

export async function listKeys(db: Database): Promise<KeyRow[]> {
  return db.select().from(keys).orderBy(asc(keys.createdAt), asc(keys.id));
}

export async function patchKey(db: Database, id: string, patch: KeyPatch): Promise<KeyRow> {
  const changes: Partial<typeof keys.$inferInsert> = {};
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.budget_usd !== undefined) changes.budgetMicros = patch.budget_usd;
  if (patch.budget_period !== undefined) changes.budgetPeriod = patch.budget_period;
  if (patch.max_timeout_ms !== undefined) changes.maxTimeoutMs = patch.max_timeout_ms;
  if (patch.max_concurrency !== undefined) changes.maxConcurrency = patch.max_concurrency;
  if (patch.templates !== undefined) changes.templates = patch.templates === "all" ? null : patch.templates;
  if (patch.internet_access !== undefined) changes.internetAccess = patch.internet_access;
  if (patch.hourly_limit_usd !== undefined) changes.hourlyLimitMicros = patch.hourly_limit_usd;
  if (patch.events_url !== undefined) changes.eventsUrl = patch.events_url;
  if (patch.alert_thresholds !== undefined) changes.alertThresholds = patch.alert_thresholds;
  if (Object.keys(changes).length === 0) return getKey(db, id);
  const [row] = await db.update(keys).set(changes).where(eq(keys.id, id)).returning();
  if (!row) throw new ApiError("not_found", `no key ${id}`);
  return row;
}

/** A new secret; the previous one keeps verifying for 24 hours. */
export async function rotateKey(db: Database, box: SecretBox, id: string, clock: Clock) {
  const current = await getKey(db, id);
  if (current.revokedAt) throw new ApiError("key_revoked", "a revoked key cannot be rotated");
  const secret = newKeySecret();
  const previousValidUntil = new Date(clock.now().getTime() + ROTATION_GRACE_MS);
  await db
    .update(keys)
    .set({
      secretCiphertext: await box.seal(secret, id),
      previousSecretCiphertext: current.secretCiphertext,
      previousSecretValidUntil: previousValidUntil,
    })
    .where(eq(keys.id, id));
  return { secret, previous_valid_until: previousValidUntil.toISOString() };
}

/** A key's `events_url`, held to the rules of a webhook destination. */
export function eventsDestination(
  services: { config: Pick<Services["config"], "ALLOW_PRIVATE_WEBHOOKS">; resolver: Services["resolver"] },
  url: string,
): Promise<string> {
  return checkDestination(url, { allowPrivate: services.config.ALLOW_PRIVATE_WEBHOOKS, resolver: services.resolver }, "events_url");
}
