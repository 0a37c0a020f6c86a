import type { Database } from "../db/client.js";
import type { KeyRow } from "../db/schema/index.js";
import type { Config, Env } from "./env.js";
import type { SignatureUse } from "./middleware/signature.js";
import type { RunHolders } from "./objects/run-holders.js";
import type { Sweeps } from "./objects/sweeps.js";
import type { Clock } from "./services/clock.js";
import type { HostResolver } from "./services/host-resolver.js";
import type { Pricing } from "./services/pricing.js";
import type { SandboxProvider } from "./services/sandbox-provider.js";
import type { SecretBox } from "./services/secrets.js";
import type { WebhookTransport } from "./services/webhook-transport.js";

/**
 * Everything a route, consumer or job needs, built once per request or queue batch
 * (build-services.ts). Functions take the part they use, as `Pick<Services, …>`, first.
 */
export interface Services {
  config: Config;
  db: Database;
  clock: Clock;
  secrets: SecretBox;
  pricing: Pricing;
  sandboxes: SandboxProvider;
  queue: Env["RUNS"];
  deliveries: Env["DELIVERIES"];
  webhooks: WebhookTransport;
  resolver: HostResolver;
  holders: RunHolders;
  sweeps: Sweeps;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    services: Services;
    /** The authenticated key, set by the signature middleware. */
    key: KeyRow;
    /** The request body exactly as sent. */
    rawBody: Uint8Array;
    /** The request's signature and whether its use is recorded yet (signature middleware). */
    signatureUse: SignatureUse;
  };
}
