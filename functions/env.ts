import { z } from "zod";
import type { GovernorNamespace, RunHolderNamespace, SweeperNamespace } from "./objects/stubs.js";
import type { DeliveryMessage, MessageQueue, RunMessage } from "./queues.js";

/** Bindings that are not plain strings. */
export interface Bindings {
  RUNS: MessageQueue<RunMessage>;
  DELIVERIES: MessageQueue<DeliveryMessage>;
  RUN_HOLDERS: RunHolderNamespace;
  SANDBOX_GOVERNOR: GovernorNamespace;
  SWEEPER: SweeperNamespace;
}

/** How long past its deadline a `running` execution waits before a sweep reaps it, by default. */
export const DEFAULT_REAPER_GRACE_MS = 90_000;

const flag = z
  .enum(["true", "false"])
  .default("false")
  .transform((v) => v === "true");

/** The deployment's configuration: vars and secrets, parsed once at the edge of each handler. */
export const zEnv = z.object({
  DATABASE_URL: z.string().url(),
  /** Only for a Postgres that is not Neon: the WebSocket proxy in front of it (local mode). */
  NEON_WS_PROXY: z.string().optional(),
  /** Only for a Postgres that is not Neon: the SQL-over-HTTP endpoint in front of it (local mode). */
  NEON_HTTP_ENDPOINT: z.string().url().optional(),
  /** How statements reach Postgres: one HTTP request each (no connection to open), or a pooled WebSocket connection. */
  DATABASE_TRANSPORT: z.enum(["http", "websocket"]).default("http"),
  ADMIN_TOKEN: z.string().min(16, "ADMIN_TOKEN must be at least 16 characters"),
  /** Base64 of 32 bytes: the key-encryption key for secrets at rest. */
  SECRET_ENCRYPTION_KEY: z.string().refine((v) => {
    try {
      return atob(v).length === 32;
    } catch {
      return false;
    }
  }, "SECRET_ENCRYPTION_KEY must be base64 of 32 bytes"),
  E2B_API_KEY: z.string().min(1),
  E2B_API_URL: z.string().url().optional(),
  E2B_SANDBOX_URL: z.string().url().optional(),
  DEFAULT_TEMPLATE: z.string().default("code-interpreter-v1"),
  /** JSON overriding prices and template sizes; see services/pricing.ts. */
  PRICING: z.string().optional(),
  /** Local mode: webhook URLs may be http and point at loopback or private hosts. */
  ALLOW_PRIVATE_WEBHOOKS: flag,
  /** Seconds between webhook attempts: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h by default. */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .regex(/^\d+(,\d+)*$/, "WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds")
    .default("5,300,1800,7200,18000,36000,36000")
    .transform((v) => v.split(",").map(Number)),
  /**
   * DNS over HTTPS (JSON API) used to check the addresses a webhook's host resolves to, when
   * private destinations are not allowed.
   */
  DNS_RESOLVER_URL: z.string().url().default("https://cloudflare-dns.com/dns-query"),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /** How long past its deadline a `running` execution waits before a sweep reaps it. */
  REAPER_GRACE_MS: z.coerce.number().int().positive().default(DEFAULT_REAPER_GRACE_MS),
  /** Sandboxes alive at once across all keys (E2B Hobby allows 20, Pro 100). */
  MAX_SANDBOXES: z.coerce.number().int().positive().default(20),
  /** Sandbox creates a second (E2B Hobby allows 1, Pro 5). */
  MAX_CREATES_PER_SECOND: z.coerce.number().int().positive().default(1),
  /** A sandbox slot lapses this long after its holder's last heartbeat (holders beat every third of it, at most every 10 s). */
  SANDBOX_LEASE_MS: z.coerce.number().int().min(3000).default(60_000),
  /** While work is outstanding (queued, running, owed a webhook), the sweep runs this often; idle, never. */
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
  /** Days after an execution finishes that its code, env and files are kept; its figures stay for good. */
  INPUT_RETENTION_DAYS: z.coerce.number().int().positive().default(30),
  OUTPUT_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  RESULTS_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
});

export type Config = z.infer<typeof zEnv>;
export type Env = Bindings & Record<string, unknown>;

export class ConfigError extends Error {}

/** Parses the environment or throws one readable error naming every bad setting. */
export function parseConfig(env: Record<string, unknown>): Config {
  const parsed = zEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`the deployment is misconfigured: ${problems.join("; ")}`);
  }
  return parsed.data;
}

type NumberSetting = "MAX_SANDBOXES" | "MAX_CREATES_PER_SECOND" | "SANDBOX_LEASE_MS" | "SWEEP_INTERVAL_MS";

/** One numeric setting, for a Durable Object that needs no more: its default when unset or invalid. */
export function numberSetting(env: Record<string, unknown>, name: NumberSetting): number {
  const schema = zEnv.shape[name];
  return schema.safeParse(env[name]).data ?? schema.parse(undefined);
}
