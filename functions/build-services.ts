import { createDatabase } from "../db/client.js";
import type { Services } from "./context.js";
import { type Config, type Env, parseConfig } from "./env.js";
import { RunHolders } from "./objects/run-holders.js";
import { Sweeps } from "./objects/sweeps.js";
import { type Clock, systemClock } from "./services/clock.js";
import { DnsOverHttpsResolver } from "./services/host-resolver.js";
import { loadPricing, type Pricing } from "./services/pricing.js";
import { E2bSandboxProvider } from "./services/sandbox-provider.js";
import { SecretBox } from "./services/secrets.js";
import { FetchWebhookTransport } from "./services/webhook-transport.js";

/**
 * Builds the services for one request or queue batch. The database client is not shared across
 * requests (a Worker cannot reuse a socket between them): call `close` when done.
 */
export async function buildServices(env: Env, clock: Clock = systemClock): Promise<{ services: Services; close(): Promise<void> }> {
  const { config, secrets, pricing } = await configured(env);
  const database = createDatabase({
    databaseUrl: config.DATABASE_URL,
    wsProxy: config.NEON_WS_PROXY,
    http: config.DATABASE_TRANSPORT === "http",
    httpEndpoint: config.NEON_HTTP_ENDPOINT,
  });
  const services: Services = {
    config,
    db: database.db,
    clock,
    secrets,
    pricing,
    sandboxes: new E2bSandboxProvider({ apiKey: config.E2B_API_KEY, apiUrl: config.E2B_API_URL, sandboxUrl: config.E2B_SANDBOX_URL }),
    queue: env.RUNS,
    deliveries: env.DELIVERIES,
    webhooks: new FetchWebhookTransport(),
    resolver: new DnsOverHttpsResolver(config.DNS_RESOLVER_URL),
    holders: new RunHolders(env.RUN_HOLDERS),
    sweeps: new Sweeps(env.SWEEPER),
  };
  return { services, close: () => database.close().catch(() => {}) };
}

/** What follows from the bindings alone, worked out once per isolate rather than per request. */
const fromBindings = new WeakMap<Env, Promise<{ config: Config; secrets: SecretBox; pricing: Pricing }>>();

function configured(env: Env): Promise<{ config: Config; secrets: SecretBox; pricing: Pricing }> {
  let prepared = fromBindings.get(env);
  if (!prepared) {
    prepared = (async () => {
      const config = parseConfig(env);
      return { config, secrets: await SecretBox.fromBase64(config.SECRET_ENCRYPTION_KEY), pricing: loadPricing(config.PRICING) };
    })();
    // A failure (a bad binding) is not kept: the next request reports it afresh.
    prepared.catch(() => fromBindings.delete(env));
    fromBindings.set(env, prepared);
  }
  return prepared;
}
