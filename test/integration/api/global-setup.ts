import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "../../../local/ports.js";
import { newSecretEncryptionKey, startStack } from "../../../local/stack.js";

declare module "vitest" {
  export interface ProvidedContext {
    apiUrl: string;
    adminToken: string;
    sandboxHostUrl: string;
    sandboxHostKey: string;
    databaseUrl: string;
    wsProxy: string;
    /** The Worker's SECRET_ENCRYPTION_KEY: the dashboard suite signs links that no route would issue (expired ones). */
    secretEncryptionKey: string;
    /**
     * POST /postgres/stop and /postgres/start: the fault suite stops the real database; POST /cron
     * ticks the cron; POST /worker/restart restarts the Worker's runtime, as a deploy would.
     */
    controlUrl: string;
  }
}

/** The whole local stack once for the API suites: embedded Postgres, sandbox host, Worker in workerd. */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), "runledger-api-test-"));
  const adminToken = `test-admin-${randomBytes(12).toString("hex")}`;
  const secretEncryptionKey = newSecretEncryptionKey();
  const stack = await startStack({
    dataDir,
    port: await freePort(),
    adminToken,
    secretEncryptionKey,
    sandboxHostFaults: true,
    // Real hours compressed to seconds: the schedule's shape is tested, not its length.
    workerVars: { WEBHOOK_RETRY_SCHEDULE: "1,1,1,1,1,1,1", WEBHOOK_TIMEOUT_MS: "1500", REAPER_GRACE_MS: "3000" },
  });
  project.provide("apiUrl", stack.url);
  project.provide("adminToken", adminToken);
  project.provide("secretEncryptionKey", secretEncryptionKey);
  project.provide("sandboxHostUrl", stack.sandboxHost?.url ?? "");
  project.provide("sandboxHostKey", stack.sandboxHost ? stack.e2bApiKey : "");
  project.provide("databaseUrl", stack.databaseUrl);
  project.provide("wsProxy", stack.wsProxy ?? "");
  const control = createServer((req, res) => {
    const postgres = stack.postgres;
    const actions: Record<string, (() => Promise<void>) | undefined> = {
      "/postgres/stop": postgres && (() => postgres.stop()),
      "/postgres/start": postgres && (() => postgres.restart()),
      "/cron": () => stack.worker.tick(),
      "/worker/restart": () => stack.worker.restart(),
    };
    const action = actions[req.url ?? ""]?.();
    if (!action) return res.writeHead(404).end();
    action.then(
      () => res.writeHead(204).end(),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  project.provide("controlUrl", `http://127.0.0.1:${(control.address() as AddressInfo).port}`);
  return async () => {
    control.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
