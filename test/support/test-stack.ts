import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "../../local/ports.js";
import { newSecretEncryptionKey, type Stack, type StackOptions, startStack } from "../../local/stack.js";

declare module "vitest" {
  export interface ProvidedContext {
    apiUrl: string;
    adminToken: string;
    sandboxHostUrl: string;
    sandboxHostKey: string;
    databaseUrl: string;
    wsProxy: string;
    /** The local SQL-over-HTTP endpoint (Neon's protocol) in front of the same database. */
    neonHttpEndpoint: string;
    /** The Worker's SECRET_ENCRYPTION_KEY: the dashboard suite signs links that no route would issue (expired ones). */
    secretEncryptionKey: string;
    /** The stack's control server (see `control` below). */
    controlUrl: string;
  }
}

type Action = (body: unknown) => Promise<unknown>;

/**
 * The whole local stack for one project's suites (embedded Postgres, sandbox host, the Worker in
 * workerd), its addresses provided to the tests, and a control server on loopback for what no
 * client of the deployment can do: POST /postgres/stop and /postgres/start (the real database),
 * /sweep (one sweep now), /worker/restart (as a deploy), /governor/acquire {executionId, keyId}
 * (a slot taken by no holder); GET /governor/usage, /counts (statements that reached Postgres
 * through the Worker's proxy, and the sandbox host's counts).
 */
export async function setUpTestStack(
  project: TestProject,
  options: Pick<StackOptions, "workerVars" | "sandboxHostFaults" | "sandboxHostLimits"> = {},
  /** Runs once the stack is up (the idle suite's scenario starts here). */
  started?: (stack: Stack, adminToken: string) => Record<string, Action>,
) {
  const dataDir = mkdtempSync(join(tmpdir(), `runledger-${project.name}-test-`));
  const adminToken = `test-admin-${randomBytes(12).toString("hex")}`;
  const secretEncryptionKey = newSecretEncryptionKey();
  const stack = await startStack({ dataDir, port: await freePort(), adminToken, secretEncryptionKey, ...options });
  project.provide("apiUrl", stack.url);
  project.provide("adminToken", adminToken);
  project.provide("secretEncryptionKey", secretEncryptionKey);
  project.provide("sandboxHostUrl", stack.sandboxHost?.url ?? "");
  project.provide("sandboxHostKey", stack.sandboxHost ? stack.e2bApiKey : "");
  project.provide("databaseUrl", stack.databaseUrl);
  project.provide("wsProxy", stack.wsProxy ?? "");
  project.provide("neonHttpEndpoint", stack.httpEndpoint ?? "");

  const governor = () =>
    stack.worker.durableObject<{ acquire(id: string, keyId: string): Promise<string>; usage(): Promise<unknown> }>(
      "SANDBOX_GOVERNOR",
      "global",
    );
  const postgres = stack.postgres;
  const actions: Record<string, Action | undefined> = {
    "POST /postgres/stop": postgres && (() => postgres.stop()),
    "POST /postgres/start": postgres && (() => postgres.restart()),
    "POST /sweep": () => stack.worker.sweep(),
    "POST /worker/restart": () => stack.worker.restart(),
    "POST /governor/acquire": async (body) => {
      const { executionId, keyId } = body as { executionId: string; keyId: string };
      return (await governor()).acquire(executionId, keyId);
    },
    "GET /governor/usage": async () => JSON.parse(JSON.stringify(await (await governor()).usage())),
    "GET /counts": async () => ({ postgresStatements: stack.databaseStatements(), host: await stack.sandboxHost?.stats() }),
    ...started?.(stack, adminToken),
  };
  const control = createServer((req, res) => {
    const action = actions[`${req.method} ${req.url}`];
    if (!action) return res.writeHead(404).end();
    readBody(req)
      .then(action)
      .then(
        (result) => (result === undefined ? res.writeHead(204).end() : res.writeHead(200).end(JSON.stringify(result))),
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

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
}
