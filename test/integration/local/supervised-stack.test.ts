import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../../functions/services/signing.js";
import { freePort } from "../../../local/ports.js";
import { descendants } from "../../../local/proc.js";

// `npm start` supervises what it started (contract §7): each component killed with SIGKILL is named
// and is back, serving, within 5 s; one that cannot come back stops everything, and npm start exits
// non-zero saying why. Its log also says each failed webhook attempt in one line.

const RESTART_WITHIN_MS = 5000;

describe("npm start with a component killed", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "runledger-supervised-"));
  const adminToken = `supervised-${randomBytes(16).toString("hex")}`;
  let child: ChildProcess;
  let printed = "";
  let url: string;
  let key: { id: string; secret: string };
  let exited: Promise<number | null>;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], {
      env: {
        ...process.env,
        RUNLEDGER_DATA_DIR: dataDir,
        PORT: String(port),
        ADMIN_TOKEN: adminToken,
        WEBHOOK_RETRY_SCHEDULE: "1,1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    child.stdout?.on("data", (chunk: Buffer) => {
      printed += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      printed += chunk.toString();
    });
    await waitFor(
      () => printed.includes("runledger is running"),
      120_000,
      () => `npm start was not ready:\n${printed}`,
    );
    const id = /dev key:\s+(key_\w+)/.exec(printed)?.[1];
    const secret = /secret:\s+(sk_[\w-]+)/.exec(printed)?.[1];
    if (!id || !secret) throw new Error(`no dev key printed:\n${printed}`);
    key = { id, secret };
  }, 150_000);

  afterAll(async () => {
    if (child?.exitCode === null && child.signalCode === null) {
      child.kill("SIGINT");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The process below npm start whose command line matches. */
  const component = (matches: (args: string[]) => boolean): number => {
    const pid = descendants(child.pid as number).find((candidate) => {
      try {
        return matches(readFileSync(`/proc/${candidate}/cmdline`, "utf8").split("\0"));
      } catch {
        return false;
      }
    });
    if (pid === undefined) throw new Error(`no such process below npm start:\n${printed}`);
    return pid;
  };
  const postgres = () => component((args) => args[0]?.endsWith("/bin/postgres") === true && args.includes("-D"));
  const workerd = () => component((args) => args[0]?.endsWith("workerd") === true);
  const sandboxHost = () => component((args) => args.some((arg) => arg.endsWith("sandbox-host-child.ts")));

  /** Kills `pid`, then waits for the stack to say it is back and to answer: how long that took. */
  async function killAndWait(pid: number, name: string): Promise<number> {
    const from = printed.length;
    const killed = Date.now();
    process.kill(pid, "SIGKILL");
    await waitFor(
      () => printed.slice(from).includes(`${name} is back`),
      15_000,
      () => `no restart of ${name} announced:\n${printed.slice(from)}`,
    );
    await waitFor(
      async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200,
      15_000,
      () => "not healthy again",
    );
    const took = Date.now() - killed;
    const said = printed.slice(from);
    console.log(said.trim());
    expect(said).toContain(`${name} (pid ${pid}) ended unexpectedly`);
    return took;
  }

  async function runCode(
    code: string,
    more: Record<string, unknown> = {},
  ): Promise<{ status: number; body: { id?: string; status?: string; result?: { stdout?: string } } }> {
    const path = "/v1/executions?wait=30";
    const body = JSON.stringify({ code, ...more });
    const timestamp = (Date.now() / 1000).toFixed(3);
    const signature = await signRequest(key.secret, timestamp, "POST", path, new TextEncoder().encode(body));
    const res = await fetch(`${url}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-runledger-key": key.id,
        "x-runledger-timestamp": timestamp,
        "x-runledger-signature": `v1=${signature}`,
      },
      body,
    });
    return { status: res.status, body: (await res.json()) as { id?: string; status?: string; result?: { stdout?: string } } };
  }

  it("logs each failed webhook attempt in one line, without the URL's path or query", async () => {
    const from = printed.length;
    const token = randomBytes(12).toString("hex");
    const { body } = await runCode("print(1)", { webhook_url: `http://no-such-host.invalid/hook?token=${token}` });
    expect(body.status).toBe("succeeded");
    // Three attempts (the first, then the schedule's two), a second apart.
    await waitFor(
      () => printed.slice(from).includes("no more attempts"),
      20_000,
      () => `no final attempt:\n${printed.slice(from)}`,
    );
    const said = printed.slice(from).trim().split("\n");
    expect(said).toEqual([
      `webhook ${said[0]?.split(" ")[1]} (execution.completed of ${body.id}) to no-such-host.invalid, attempt 1, failed: names a host that does not resolve; next attempt in 1 s`,
      expect.stringMatching(/attempt 2, failed: names a host that does not resolve; next attempt in 1 s$/),
      expect.stringMatching(/attempt 3, failed: names a host that does not resolve; no more attempts$/),
    ]);
    expect(printed).not.toContain(token);
  });

  it("restarts workerd, and the Worker answers again", async () => {
    const took = await killAndWait(workerd(), "workerd (the Worker's runtime)");
    console.log(`workerd: answering again ${took} ms after SIGKILL`);
    expect(took).toBeLessThan(RESTART_WITHIN_MS);
    expect((await runCode("print(6*7)")).body).toMatchObject({ status: "succeeded", result: { stdout: "42\n" } });
  });

  it("restarts Postgres on the same data directory: nothing is lost", async () => {
    const took = await killAndWait(postgres(), "Postgres");
    console.log(`Postgres: answering again ${took} ms after SIGKILL`);
    expect(took).toBeLessThan(RESTART_WITHIN_MS);
    const known = await fetch(`${url}/admin/keys/${key.id}`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(known.status).toBe(200);
    expect((await runCode("print('after')")).body).toMatchObject({ status: "succeeded" });
  });

  it("restarts the sandbox host on the same address, and code runs again", async () => {
    const took = await killAndWait(sandboxHost(), "the sandbox host");
    console.log(`sandbox host: back ${took} ms after SIGKILL`);
    expect(took).toBeLessThan(RESTART_WITHIN_MS);
    expect((await runCode("print('again')")).body).toMatchObject({ status: "succeeded", result: { stdout: "again\n" } });
  });

  it("stops everything and exits non-zero, saying why, when a component cannot come back", async () => {
    // Its control file moved away: Postgres cannot start on that data directory again.
    const postmaster = postgres();
    const args = readFileSync(`/proc/${postmaster}/cmdline`, "utf8").split("\0");
    const pgdata = args[args.indexOf("-D") + 1] as string;
    const others = [workerd(), sandboxHost()];
    renameSync(join(pgdata, "global", "pg_control"), join(pgdata, "global", "pg_control.moved"));
    process.kill(postmaster, "SIGKILL");
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 20_000))]);
    expect(code, printed).toBe(1);
    expect(printed).toMatch(/runledger stopped: Postgres \(pid \d+\) ended \(killed by SIGKILL\) and could not be started again: ./);
    // Nothing it started is left: not the runtime, not the sandbox host.
    const alive = others.filter((pid) => {
      try {
        return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    await expect(fetch(`${url}/livez`)).rejects.toThrow();
  }, 60_000);
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, failure: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
