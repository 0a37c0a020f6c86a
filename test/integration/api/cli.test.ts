import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, inject, test } from "vitest";
import type { Execution, Key, KeyWithSecrets, RotatedSecret } from "../../../client/index.js";
import { apiUrl, newKey } from "./harness.js";
import { Receiver } from "./receiver.js";

// The `runledger` command as a user runs it: the package's bin, a child process, configured by the environment.
const repoRoot = join(import.meta.dirname, "../../..");
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { bin: { runledger: string } };
const bin = join(repoRoot, pkg.bin.runledger);
const scratch = mkdtempSync(join(tmpdir(), "runledger-cli-test-"));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without any runledger settings of the machine running the tests. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith("RUNLEDGER_")) env[name] = value;
  return { ...env, ...extra };
}

function runCli(
  args: string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string; command?: string[] } = {},
): Promise<Ran> {
  const [file, ...prefix] = options.command ?? [process.execPath, bin];
  return new Promise((resolve, reject) => {
    const child = spawn(file as string, [...prefix, ...args], { cwd: options.cwd ?? scratch, env: cleanEnv(options.env ?? {}) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/** The CLI with a terminal as its standard output (util-linux `script` gives it one), as a person runs it. */
function runInTerminal(args: string[], env: Record<string, string>): Promise<Ran> {
  const command = [process.execPath, bin, ...args].map(quote).join(" ");
  return runCli(["-qec", command, "/dev/null"], { env, command: ["script"] }).then((ran) => ({
    ...ran,
    stdout: ran.stdout.replaceAll("\r\n", "\n"),
  }));
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A fresh key and the environment that points the CLI at it. */
async function keyEnv(settings: Record<string, unknown> = {}) {
  const { key, client } = await newKey(settings);
  const env = { RUNLEDGER_URL: apiUrl(), RUNLEDGER_KEY: key.id, RUNLEDGER_SECRET: key.secret };
  return { key, client, env };
}

const show = (ran: Ran) => `exit ${ran.code}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`;

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe("runledger run", () => {
  test("code from standard input: its output on stdout, exit 0", async () => {
    const { env } = await keyEnv();
    const ran = await runCli(["run", "-", "--wait"], { env, input: "print(6*7)\n" });
    expect(ran.code, show(ran)).toBe(0);
    expect(ran.stdout).toBe("42\n");
  });

  test("a script that raises: the traceback on stderr, exit 1", async () => {
    const { env } = await keyEnv();
    const ran = await runCli(["run", "-", "--wait"], { env, input: 'print("before")\nraise ValueError("boom")\n' });
    expect(ran.code, show(ran)).toBe(1);
    expect(ran.stdout).toBe("before\n");
    expect(ran.stderr).toContain("ValueError");
    expect(ran.stderr).toContain("boom");
  });

  test("a run past its timeout exits 124", async () => {
    const { env } = await keyEnv();
    const ran = await runCli(["run", "-", "--wait", "--timeout", "1000"], { env, input: "import time; time.sleep(10)" });
    expect(ran.code, show(ran)).toBe(124);
    expect(ran.stderr).toContain("timed out after 1000 ms");
  });

  test("Ctrl-C while waiting cancels the execution and exits 130", async () => {
    const { env, client } = await keyEnv();
    const child = spawn(process.execPath, [bin, "run", "-", "--wait"], { cwd: scratch, env: cleanEnv(env) });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdin.end("import time; time.sleep(60)");
    let running: Execution | undefined;
    for (const deadline = Date.now() + 20_000; !running && Date.now() < deadline; ) {
      running = (await client.listExecutions({ status: "running" })).data[0];
      if (!running) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!running) throw new Error("the run never started");
    child.kill("SIGINT");
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain(`interrupted; ${running.id} canceled`);
    expect((await client.getExecution(running.id)).status).toBe("canceled");
  });

  test("run --wait prints output as the code prints it, stdout and stderr apart, and keeps it on Ctrl-C", async () => {
    const { env, client } = await keyEnv();
    const child = spawn(process.execPath, [bin, "run", "-", "--wait"], { cwd: scratch, env: cleanEnv(env) });
    const lines: Array<{ stream: string; text: string; at: number }> = [];
    child.stdout.on("data", (chunk: Buffer) => lines.push({ stream: "stdout", text: chunk.toString(), at: Date.now() }));
    child.stderr.on("data", (chunk: Buffer) => lines.push({ stream: "stderr", text: chunk.toString(), at: Date.now() }));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdin.end("import sys, time\nprint('out early', flush=True)\nprint('err early', file=sys.stderr, flush=True)\ntime.sleep(60)");
    for (const deadline = Date.now() + 20_000; lines.length < 2 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    const shownAt = Date.now();
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(
      lines
        .filter((l) => l.stream === "stdout" && l.at < shownAt)
        .map((l) => l.text)
        .join(""),
    ).toBe("out early\n");
    expect(
      lines
        .filter((l) => l.stream === "stderr" && l.at < shownAt)
        .map((l) => l.text)
        .join(""),
    ).toContain("err early\n");
    const [canceled] = (await client.listExecutions({ limit: 1 })).data;
    expect(canceled?.status).toBe("canceled");
  });

  test("logs prints an execution's output so far; with --follow, live to its end and its status", async () => {
    const { env, client } = await keyEnv();
    const submitted = await client.createExecution({
      code: "import time\nprint('one', flush=True)\ntime.sleep(4)\nprint('two')\nraise SystemError('late')",
    });
    for await (const event of client.events(submitted.id)) if (event.event === "stdout") break;
    const snapshot = await runCli(["logs", submitted.id], { env });
    expect(snapshot.code, show(snapshot)).toBe(0);
    expect(snapshot.stdout).toBe("one\n");
    const followed = await runCli(["logs", submitted.id, "--follow"], { env });
    expect(followed.code, show(followed)).toBe(1);
    expect(followed.stdout).toBe("one\ntwo\n");
    expect(followed.stderr).toContain("SystemError: late");
  });

  test("a file: language from its extension, env and uploaded files reach the code", async () => {
    const { env } = await keyEnv();
    writeFileSync(join(scratch, "hello.sh"), 'echo "$GREETING from bash"; cat data.txt; exit 3\n');
    writeFileSync(join(scratch, "data.txt"), "uploaded\n");
    const ran = await runCli(["run", "hello.sh", "--wait", "--env", "GREETING=hi", "--file", "data.txt"], { env });
    expect(ran.code, show(ran)).toBe(1);
    expect(ran.stdout).toBe("hi from bash\nuploaded\n");
    expect(ran.stderr).toMatch(/^runledger: exe_[0-9a-z]{24} exited with code 3$/m);
  });

  test("--outputs brings files back and --into writes them at their paths; --no-internet runs offline", async () => {
    const { env } = await keyEnv();
    writeFileSync(
      join(scratch, "report.py"),
      "import os\nos.makedirs('out', exist_ok=True)\nopen('out/a.csv','w').write('x,y\\n')\nopen('out/b.bin','wb').write(bytes([0,255]))\nprint(len(__import__('socket').if_nameindex()))\n",
    );
    const into = join(scratch, "results");
    const ran = await runCli(["run", "report.py", "--wait", "--outputs", "out/*.csv", "-o", "out/*.bin", "--into", into, "--no-internet"], {
      env,
    });
    expect(ran.code, show(ran)).toBe(0);
    expect(ran.stdout).toBe("1\n");
    expect(readFileSync(join(into, "out/a.csv"), "utf8")).toBe("x,y\n");
    expect(readFileSync(join(into, "out/b.bin"))).toEqual(Buffer.from([0, 255]));
    expect(ran.stderr).toContain("wrote 2 file(s)");
    const unsaved = await runCli(["run", "-", "--wait", "-o", "*.txt"], { env, input: "open('n.txt','w').write('1')" });
    expect(unsaved.stderr).toContain("1 output file(s) came back; add --into DIR");
    const misused = await runCli(["run", "-", "--into", into], { env, input: "print(1)" });
    expect(misused.code).toBe(2);
  });

  test("without --wait: the queued execution as JSON, then `get` shows it finished", async () => {
    const { env, client } = await keyEnv();
    const submitted = await runCli(["run", "-"], { env, input: "print('later')" });
    expect(submitted.code, show(submitted)).toBe(0);
    const queued = JSON.parse(submitted.stdout) as Execution;
    expect(queued.id).toMatch(/^exe_/);
    const finished = await client.waitForExecution(queued.id, { timeoutMs: 30_000 });
    expect(finished.status).toBe("succeeded");
    const got = await runCli(["get", queued.id], { env });
    expect(got.code, show(got)).toBe(0);
    const shown = JSON.parse(got.stdout) as Execution;
    expect(shown).toMatchObject({ id: queued.id, status: "succeeded", result: { stdout: "later\n" } });
  });

  test("usage and configuration errors have their own exit codes", async () => {
    const { env } = await keyEnv();
    const badFlag = await runCli(["run", "-", "--no-such-flag"], { env });
    expect(badFlag.code, show(badFlag)).toBe(2);
    const badLanguage = await runCli(["run", "-", "--language", "cobol"], { env, input: "x" });
    expect(badLanguage.code, show(badLanguage)).toBe(2);
    const unknown = await runCli(["frobnicate"], { env });
    expect(unknown.code, show(unknown)).toBe(2);
    const noConfig = await runCli(["budget"]);
    expect(noConfig.code, show(noConfig)).toBe(3);
    expect(noConfig.stderr).toContain("RUNLEDGER_KEY");
    const missingFile = await runCli(["run", "no-such-file.py"], { env });
    expect(missingFile.code, show(missingFile)).toBe(3);
  });

  test("a typo in an option or a command suggests what was meant, in the CLI's own words", async () => {
    const { env } = await keyEnv();
    const typo = await runCli(["run", "-", "--wiat"], { env, input: "print(1)" });
    expect(typo.code, show(typo)).toBe(2);
    expect(typo.stderr).toBe("runledger: run: unknown option --wiat; did you mean --wait?\nSee: runledger run --help\n");
    const keysTypo = await runCli(["keys", "list", "--jsn"], { env });
    expect(keysTypo.stderr).toContain("did you mean --json?");
    const missingValue = await runCli(["run", "-", "--timeout", "--wait"], { env, input: "print(1)" });
    expect(missingValue.code, show(missingValue)).toBe(2);
    expect(missingValue.stderr).toContain("--timeout needs a value");
    const flagValue = await runCli(["run", "-", "--wait=yes"], { env, input: "print(1)" });
    expect(flagValue.stderr).toContain("--wait takes no value");
    const command = await runCli(["lsit"], { env });
    expect(command.code, show(command)).toBe(2);
    expect(command.stderr).toContain("unknown command 'lsit'; did you mean list?");
    for (const ran of [typo, keysTypo, missingValue, flagValue, command]) expect(ran.stderr).not.toMatch(/Unknown option|positional/);
  });

  test("a file whose extension names no language is a usage error that lists the languages", async () => {
    const { env, client } = await keyEnv();
    writeFileSync(join(scratch, "hello.rb"), "puts 1\n");
    const ran = await runCli(["run", "hello.rb", "--wait"], { env });
    expect(ran.code, show(ran)).toBe(2);
    expect(ran.stderr).toContain("cannot tell the language of hello.rb from its extension .rb");
    expect(ran.stderr).toContain("--language python|javascript|typescript|bash|r|java");
    expect((await client.listExecutions()).data).toEqual([]);
    writeFileSync(join(scratch, "hello.rb"), "print('named')\n");
    const named = await runCli(["run", "hello.rb", "--wait", "--language", "python"], { env });
    expect(named.code, show(named)).toBe(0);
    expect(named.stdout).toBe("named\n");
  });

  test("with the server down every command answers within 2 s, naming RUNLEDGER_URL and npm start", async () => {
    const { env } = await keyEnv();
    const down = { ...env, RUNLEDGER_URL: `http://127.0.0.1:${await closedPort()}` };
    for (const args of [["run", "-", "--wait"], ["run", "-"], ["list"], ["budget"], ["logs", "exe_0000000000000000000000zz", "--follow"]]) {
      const started = Date.now();
      const ran = await runCli(args, { env: down, input: "print(1)" });
      const took = Date.now() - started;
      expect(ran.code, show(ran)).toBe(4);
      expect(took, `${args.join(" ")} took ${took} ms`).toBeLessThan(2_000);
      expect(ran.stderr).toContain(`could not reach ${down.RUNLEDGER_URL}: ECONNREFUSED`);
      expect(ran.stderr).toContain("RUNLEDGER_URL");
      expect(ran.stderr).toContain("`npm start`");
    }
  });

  test("every command answers --help", async () => {
    const commands = ["run", "get", "list", "cancel", "budget", "costs", "events", "deliveries", "redeliver", "dashboard"];
    for (const command of [...commands, "verify-webhook", "keys"]) {
      const ran = await runCli([command, "--help"]);
      expect(ran.code, show(ran)).toBe(0);
      expect(ran.stdout).toContain(`runledger ${command}`);
    }
  });

  test("npx runledger resolves the package's bin", async () => {
    const ran = await runCli(["--help"], { cwd: repoRoot, command: ["npx", "--no-install", "runledger"] });
    expect(ran.code, show(ran)).toBe(0);
    expect(ran.stdout).toContain("Exit status:");
  });
});

describe("server errors", () => {
  test("the server's code and message, exit 4", async () => {
    const { env } = await keyEnv();
    const missing = await runCli(["get", "exe_0000000000000000000000zz"], { env });
    expect(missing.code, show(missing)).toBe(4);
    expect(missing.stderr).toMatch(/^runledger: not_found \(HTTP 404\): .+/);
    expect(missing.stderr).toContain("request id: ");
    const forged = await runCli(["budget"], { env: { ...env, RUNLEDGER_SECRET: `sk_${"x".repeat(43)}` } });
    const unknownKey = await runCli(["budget"], { env: { ...env, RUNLEDGER_KEY: "key_nope" } });
    for (const refused of [forged, unknownKey]) {
      expect(refused.code, show(refused)).toBe(4);
      expect(refused.stderr).toContain("unauthorized (HTTP 401): invalid signature or unknown key");
      expect(refused.stderr).toContain("hint: check RUNLEDGER_KEY and RUNLEDGER_SECRET");
    }
    const invalid = await runCli(["run", "-", "--timeout", "5"], { env, input: "1" });
    expect(invalid.code, show(invalid)).toBe(4);
    expect(invalid.stderr).toContain("invalid_request (HTTP 400)");
    expect(invalid.stderr).toContain("timeout_ms");
  });
});

describe("money", () => {
  test("budget, and costs as a table, JSON and CSV", async () => {
    const { env, client } = await keyEnv({ budget_usd: "3.50" });
    const execution = await client.run({ code: "print(1)" });
    expect(execution.status).toBe("succeeded");

    const budget = await runCli(["budget"], { env });
    expect(budget.code, show(budget)).toBe(0);
    expect(budget.stdout).toMatch(/^limit +\$3\.500000$/m);
    expect(budget.stdout).toMatch(new RegExp(`^spent +\\$${execution.cost_usd?.replace(".", "\\.")}$`, "m"));

    const today = execution.created_at.slice(0, 10);
    const csv = await runCli(["costs", "--csv", "--from", today, "--to", today, "--group-by", "language"], { env });
    expect(csv.code, show(csv)).toBe(0);
    expect(csv.stdout).toBe(`group,executions,sandbox_ms,cost_usd\npython,1,${execution.sandbox_ms},${execution.cost_usd}\n`);

    const json = await runCli(["costs", "--json", "--group-by", "status"], { env });
    expect(json.code, show(json)).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ group_by: "status", total_usd: execution.cost_usd, executions: 1 });

    const shown = await runCli(["costs", "--group-by", "template"], { env });
    expect(shown.code, show(shown)).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^${execution.template} +1 +[\\d.]+ +\\$${execution.cost_usd?.replace(".", "\\.")}$`, "m"));

    const badDay = await runCli(["costs", "--from", "yesterday"], { env });
    expect(badDay.code, show(badDay)).toBe(2);
  });
});

describe("runledger verify-webhook", () => {
  test("a real delivery verifies; a tampered body, another secret and a stale timestamp do not", async () => {
    receiver = await Receiver.start();
    const { env, key } = await keyEnv();
    const ran = await runCli(["run", "-", "--wait", "--webhook-url", receiver.url], { env, input: "print('hooked')" });
    expect(ran.code, show(ran)).toBe(0);
    const [delivery] = await receiver.waitFor(1);
    if (!delivery) throw new Error("no delivery");

    const headersFile = join(scratch, "headers.json");
    const bodyFile = join(scratch, "body.json");
    writeFileSync(headersFile, JSON.stringify(delivery.headers));
    writeFileSync(bodyFile, delivery.body);
    const secret = ["--secret", key.webhook_secret];
    const ok = await runCli(["verify-webhook", "--headers", headersFile, "--body", bodyFile, ...secret]);
    expect(ok.code, show(ok)).toBe(0);
    expect(ok.stdout).toMatch(/^ok msg_[0-9a-z]{24} execution\.completed exe_[0-9a-z]{24} succeeded\n$/);

    // The secret from the environment, the headers as `curl -D` saves them.
    const headerLines = Object.entries(delivery.headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join("\r\n");
    writeFileSync(headersFile, `HTTP/1.1 200 OK\r\n${headerLines}\r\n\r\n`);
    const fromEnv = await runCli(["verify-webhook", "--headers", headersFile, "--body", bodyFile], {
      env: { RUNLEDGER_WEBHOOK_SECRET: key.webhook_secret },
    });
    expect(fromEnv.code, show(fromEnv)).toBe(0);

    const savedFile = join(scratch, "delivery.json");
    writeFileSync(savedFile, JSON.stringify({ headers: delivery.headers, body: delivery.body }));
    const saved = await runCli(["verify-webhook", savedFile, ...secret]);
    expect(saved.code, show(saved)).toBe(0);

    writeFileSync(bodyFile, delivery.body.replace("hooked", "hacked"));
    const tampered = await runCli(["verify-webhook", "--headers", headersFile, "--body", bodyFile, ...secret]);
    expect(tampered.code, show(tampered)).toBe(1);
    expect(tampered.stderr).toContain("webhook not verified: no signature matches");

    const other = await newKey();
    const wrongSecret = await runCli(["verify-webhook", savedFile, "--secret", other.key.webhook_secret]);
    expect(wrongSecret.code, show(wrongSecret)).toBe(1);

    const stale = { ...delivery.headers, "webhook-timestamp": String(Number(delivery.headers["webhook-timestamp"]) - 301) };
    writeFileSync(savedFile, JSON.stringify({ headers: stale, body: delivery.body }));
    const tooOld = await runCli(["verify-webhook", savedFile, ...secret]);
    expect(tooOld.code, show(tooOld)).toBe(1);
    expect(tooOld.stderr).toContain("at most 300 s");
  });
});

describe("money guardrails from the CLI", () => {
  test("keys with an hourly limit, alert thresholds and an events URL; runs with tags; costs by tag; events", async () => {
    const admin = { RUNLEDGER_URL: apiUrl(), RUNLEDGER_ADMIN_TOKEN: inject("adminToken") };
    receiver = await Receiver.start();
    const created = await runCli(
      [
        "keys",
        "create",
        "--name",
        "guarded",
        "--budget",
        "0.1",
        "--period",
        "day",
        "--hourly-limit",
        "0.5",
        "--events-url",
        receiver.url,
        "--alert-at",
        "1,50",
        "--no-internet-access",
      ],
      { env: admin },
    );
    expect(created.code, show(created)).toBe(0);
    const key = JSON.parse(created.stdout) as KeyWithSecrets;
    expect(key).toMatchObject({
      hourly_limit_usd: "0.500000",
      events_url: receiver.url,
      alert_thresholds: [1, 50],
      internet_access: false,
    });
    const env = { RUNLEDGER_URL: apiUrl(), RUNLEDGER_KEY: key.id, RUNLEDGER_SECRET: key.secret };

    const ran = await runCli(["run", "-", "--wait", "--tag", "nightly", "--tag", "team:data", "--fit-timeout"], { env, input: "print(1)" });
    expect(ran.code, show(ran)).toBe(0);
    const byTag = await runCli(["costs", "--group-by", "tag", "--json"], { env });
    expect((JSON.parse(byTag.stdout) as { rows: Array<{ group: string }> }).rows.map((r) => r.group)).toEqual(["nightly", "team:data"]);
    const budget = await runCli(["budget"], { env });
    expect(budget.stdout).toMatch(/^hour +from .*: limit \$0\.500000/m);

    await receiver.waitFor(1);
    const events = await runCli(["events"], { env });
    expect(events.code, show(events)).toBe(0);
    expect(events.stdout).toMatch(/budget\.threshold_reached +1% of \$0\.100000 +delivered/);

    const updated = await runCli(["keys", "update", key.id, "--hourly-limit", "none", "--events-url", "none"], { env: admin });
    expect(JSON.parse(updated.stdout)).toMatchObject({ hourly_limit_usd: null, events_url: null });
  });
});

describe("executions, deliveries and the dashboard from the CLI", () => {
  test("list is a table on a terminal and JSON when piped or asked", async () => {
    const { env, client } = await keyEnv();
    const done = await client.run({ code: "print(1)", tags: ["nightly"] });
    const onTerminal = await runInTerminal(["list"], env);
    expect(onTerminal.code, show(onTerminal)).toBe(0);
    expect(onTerminal.stdout).toMatch(/^id +status +language +created +duration +cost +tags\n/);
    expect(onTerminal.stdout).toMatch(
      new RegExp(`^${done.id} +succeeded +python +${done.created_at} +${done.duration_ms} ms +\\$${done.cost_usd} +nightly$`, "m"),
    );
    const piped = await runCli(["list"], { env });
    expect((JSON.parse(piped.stdout) as { data: Execution[] }).data.map((e) => e.id)).toEqual([done.id]);
    const asked = await runInTerminal(["list", "--json"], env);
    expect((JSON.parse(asked.stdout) as { data: Execution[] }).data.map((e) => e.id)).toEqual([done.id]);
  });

  test("deliveries lists a webhook's attempts and redeliver sends it once more", async () => {
    receiver = await Receiver.start();
    receiver.reply({ status: 500 });
    const { env } = await keyEnv();
    const ran = await runCli(["run", "-", "--json", "--wait", "--webhook-url", receiver.url], { env, input: "print('hooked')" });
    expect(ran.code, show(ran)).toBe(0);
    const { id } = JSON.parse(ran.stdout) as Execution;
    await receiver.waitFor(2);
    const deliveries = async () => {
      const listed = await runCli(["deliveries", id], { env });
      expect(listed.code, show(listed)).toBe(0);
      return (JSON.parse(listed.stdout) as { data: Array<{ attempt: number; status_code: number | null }> }).data;
    };
    for (const deadline = Date.now() + 10_000; (await deliveries()).length < 2 && Date.now() < deadline; )
      await new Promise((r) => setTimeout(r, 100));
    expect((await deliveries()).map((d) => [d.attempt, d.status_code])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    const table = await runInTerminal(["deliveries", id], env);
    expect(table.stdout).toMatch(/^attempt +at +status +took +error\n +1 +\S+ +500 +\d+ ms/);

    const again = await runCli(["redeliver", id], { env });
    expect(again.code, show(again)).toBe(0);
    expect(again.stdout).toBe(`queued another delivery of ${id}'s webhook to ${receiver.url}\n`);
    const [, second, third] = await receiver.waitFor(3);
    expect(third?.headers["webhook-id"]).toBe(second?.headers["webhook-id"]);
    for (const deadline = Date.now() + 10_000; (await deliveries()).length < 3 && Date.now() < deadline; )
      await new Promise((r) => setTimeout(r, 100));
    expect((await deliveries()).map((d) => d.attempt)).toEqual([1, 2, 3]);
  });

  test("dashboard prints a signed link that opens the key's dashboard; an admin gets one for any key", async () => {
    const { env, key } = await keyEnv();
    const ran = await runCli(["dashboard", "--expires-in", "600"], { env });
    expect(ran.code, show(ran)).toBe(0);
    const url = ran.stdout.trim();
    expect(url).toMatch(new RegExp(`^${apiUrl()}/dashboard/${key.id}\\?expires=\\d+&sig=[0-9a-f]{64}$`));
    expect(ran.stderr).toMatch(/the link works until \d{4}-\d\d-\d\dT/);
    const page = await fetch(url);
    expect(page.status, await page.clone().text()).toBe(200);
    expect(await page.text()).toContain(key.id);

    const admin = { RUNLEDGER_URL: apiUrl(), RUNLEDGER_ADMIN_TOKEN: inject("adminToken") };
    const forAdmin = await runCli(["dashboard", "--key", key.id, "--json"], { env: admin });
    expect(forAdmin.code, show(forAdmin)).toBe(0);
    expect((await fetch((JSON.parse(forAdmin.stdout) as { url: string }).url)).status).toBe(200);
    const tooLong = await runCli(["dashboard", "--expires-in", "100000"], { env });
    expect(tooLong.code, show(tooLong)).toBe(2);
  });
});

describe("runledger keys", () => {
  test("create, list, get, update, rotate, revoke with the admin token; the new key runs code", async () => {
    const admin = { RUNLEDGER_URL: apiUrl(), RUNLEDGER_ADMIN_TOKEN: inject("adminToken") };
    const created = await runCli(
      ["keys", "create", "--name", "from-cli", "--budget", "2.5", "--period", "month", "--max-concurrency", "3"],
      {
        env: admin,
      },
    );
    expect(created.code, show(created)).toBe(0);
    const key = JSON.parse(created.stdout) as KeyWithSecrets;
    expect(key).toMatchObject({ name: "from-cli", budget_usd: "2.500000", budget_period: "month", max_concurrency: 3 });
    expect(key.secret).toMatch(/^sk_/);
    expect(key.webhook_secret).toMatch(/^whsec_/);

    const keyEnvironment = { RUNLEDGER_URL: apiUrl(), RUNLEDGER_KEY: key.id, RUNLEDGER_SECRET: key.secret };
    const ran = await runCli(["run", "-", "--wait"], { env: keyEnvironment, input: "print('new key')" });
    expect(ran.code, show(ran)).toBe(0);
    expect(ran.stdout).toBe("new key\n");

    const allKeys = await runCli(["costs", "--all-keys", "--group-by", "key", "--csv"], { env: admin });
    expect(allKeys.code, show(allKeys)).toBe(0);
    expect(allKeys.stdout).toMatch(new RegExp(`^${key.id},1,\\d+,\\d+\\.\\d{6}$`, "m"));

    const listed = await runCli(["keys", "list"], { env: admin });
    expect(listed.code, show(listed)).toBe(0);
    const keys = JSON.parse(listed.stdout) as Key[];
    expect(keys.find((k) => k.id === key.id)).toMatchObject({ name: "from-cli", revoked_at: null });
    expect(listed.stdout).not.toContain(key.secret);

    const onTerminal = await runInTerminal(["keys", "list"], admin);
    expect(onTerminal.code, show(onTerminal)).toBe(0);
    expect(onTerminal.stdout).toMatch(/^id +name +budget +hourly +concurrency +created +state\n/);
    expect(onTerminal.stdout).toMatch(new RegExp(`^${key.id} +from-cli +\\$2\\.500000/month +- +3 +\\S+ +active$`, "m"));
    const askedForJson = await runInTerminal(["keys", "list", "--json"], admin);
    expect((JSON.parse(askedForJson.stdout) as Key[]).some((k) => k.id === key.id)).toBe(true);

    const got = await runCli(["keys", "get", key.id], { env: admin });
    expect(got.code, show(got)).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ id: key.id, name: "from-cli" });
    expect(got.stdout).not.toContain(key.secret);

    const updated = await runCli(["keys", "update", key.id, "--budget", "4"], { env: admin });
    expect(updated.code, show(updated)).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ id: key.id, budget_usd: "4.000000" });

    const rotated = await runCli(["keys", "rotate", key.id], { env: admin });
    expect(rotated.code, show(rotated)).toBe(0);
    const secret = JSON.parse(rotated.stdout) as RotatedSecret;
    expect(secret.secret).toMatch(/^sk_/);
    expect(secret.secret).not.toBe(key.secret);
    const withNewSecret = await runCli(["budget", "--json"], { env: { ...keyEnvironment, RUNLEDGER_SECRET: secret.secret } });
    expect(withNewSecret.code, show(withNewSecret)).toBe(0);
    expect(JSON.parse(withNewSecret.stdout)).toMatchObject({ period: "month", limit_usd: "4.000000" });

    const revoked = await runCli(["keys", "revoke", key.id], { env: admin });
    expect(revoked.code, show(revoked)).toBe(0);
    expect((JSON.parse(revoked.stdout) as Key).revoked_at).toEqual(expect.any(String));
    const afterRevoke = await runCli(["budget"], { env: keyEnvironment });
    expect(afterRevoke.code, show(afterRevoke)).toBe(4);
    expect(afterRevoke.stderr).toContain("key_revoked");

    const wrongToken = await runCli(["keys", "list"], { env: { ...admin, RUNLEDGER_ADMIN_TOKEN: "not-the-token" } });
    expect(wrongToken.code, show(wrongToken)).toBe(4);
    expect(wrongToken.stderr).toContain("unauthorized");
  });
});
