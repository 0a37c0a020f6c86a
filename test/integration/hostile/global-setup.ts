import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "../../../local/ports.js";

declare module "vitest" {
  export interface ProvidedContext {
    hostileApiUrl: string;
    hostileAdminToken: string;
    /** Everything `npm start` printed, stdout and stderr: the host's log. */
    hostileLogFile: string;
    hostileDataDir: string;
  }
}

/**
 * `npm start` itself, as a team would run it on a shared server: the hostile suite goes through
 * its public port only, and reads what it printed to find anything a run managed to leak.
 */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), "runledger-hostile-"));
  const logFile = join(mkdtempSync(join(tmpdir(), "runledger-hostile-log-")), "npm-start.log");
  const adminToken = `hostile-${randomBytes(16).toString("hex")}`;
  const port = await freePort();
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], {
    // The code of this suite attacks the host: without bubblewrap the host must refuse to start,
    // never run it unfenced.
    env: { ...process.env, RUNLEDGER_DATA_DIR: dataDir, PORT: String(port), ADMIN_TOKEN: adminToken, SANDBOX_HOST_ISOLATION: "bubblewrap" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let printed = "";
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      printed += chunk.toString();
      if (printed.includes("runledger is running")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${printed}`)));
    const timer = setTimeout(() => reject(new Error(`npm start was not ready after 120 s:\n${printed}`)), 120_000);
    timer.unref();
  });
  await ready;
  project.provide("hostileApiUrl", `http://127.0.0.1:${port}`);
  project.provide("hostileAdminToken", adminToken);
  project.provide("hostileLogFile", logFile);
  project.provide("hostileDataDir", dataDir);
  return async () => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGINT");
    await exited;
    log.end();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
