import { execFileSync } from "node:child_process";
import { request } from "node:http";
import { describe, expect, test } from "vitest";
import { RunledgerClient } from "../../../client/client.js";
import { signRequest } from "../../../functions/services/signing.js";
import { type ApiErrorBody, admin, apiUrl, type Execution, newKey } from "./harness.js";

// Contract §2, rule by rule, with real keys and real signatures.
const encoder = new TextEncoder();

async function send(
  keyId: string,
  secret: string,
  options: { method?: string; path?: string; body?: string; timestamp?: string; signature?: string; headers?: Record<string, string> } = {},
) {
  const method = options.method ?? "GET";
  const path = options.path ?? "/v1/executions";
  const body = options.body ?? "";
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const signature = options.signature ?? `v1=${await signRequest(secret, timestamp, method, path, encoder.encode(body))}`;
  const res = await fetch(`${apiUrl()}${path}`, {
    method,
    headers: {
      "x-runledger-key": keyId,
      "x-runledger-timestamp": timestamp,
      "x-runledger-signature": signature,
      ...(body ? { "content-type": "application/json" } : {}),
      ...options.headers,
    },
    body: body || undefined,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as ApiErrorBody };
}

describe("signed requests", () => {
  test("a request signed the way a shell with openssl signs it is accepted", async () => {
    const { key } = await newKey();
    const ts = String(Math.floor(Date.now() / 1000));
    const body = '{"language":"python","code":"print(6*7)"}';
    const hash = execFileSync("sh", ["-c", `printf '%s' "$1" | sha256sum | cut -d' ' -f1`, "sh", body]).toString().trim();
    const sig = execFileSync("sh", [
      "-c",
      `printf '%s\\n%s\\n%s\\n%s' "$1" POST /v1/executions "$2" | openssl dgst -sha256 -hmac "$3" -r | cut -d' ' -f1`,
      "sh",
      ts,
      hash,
      key.secret,
    ])
      .toString()
      .trim();
    const res = await fetch(`${apiUrl()}/v1/executions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-runledger-key": key.id,
        "x-runledger-timestamp": ts,
        "x-runledger-signature": `v1=${sig}`,
      },
      body,
    });
    expect(res.status, await res.clone().text()).toBe(202);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
  });

  test("missing or malformed headers are unauthorized", async () => {
    const { key } = await newKey();
    const bare = await fetch(`${apiUrl()}/v1/executions`);
    expect(bare.status).toBe(401);
    const body = (await bare.json()) as ApiErrorBody;
    expect(body.error.code).toBe("unauthorized");
    expect(body.error.request_id).toBe(bare.headers.get("x-request-id"));
    expect((await send(key.id, key.secret, { signature: "sha256=abc" })).body.error.code).toBe("unauthorized");
    expect((await send(key.id, key.secret, { timestamp: "yesterday" })).body.error.code).toBe("unauthorized");
    expect((await send("key_nope", key.secret)).body.error.code).toBe("unauthorized");
  });

  test("an unknown key and a wrong signature get the same answer, which says so", async () => {
    const { key } = await newKey();
    const unknown = await send("key_0000000000000000000000zz", key.secret);
    const wrong = await send(key.id, "sk_not-the-secret");
    const notAKeyId = await send("key_nope", key.secret);
    for (const res of [unknown, wrong, notAKeyId]) {
      expect(res.status, JSON.stringify(res.body)).toBe(401);
      expect(res.body.error.code).toBe("unauthorized");
      expect(res.body.error.message).toBe("invalid signature or unknown key");
    }
  });

  test("a missing or malformed header is named in the message", async () => {
    const { key } = await newKey();
    const bare = (await (await fetch(`${apiUrl()}/v1/budget`)).json()) as ApiErrorBody;
    expect(bare.error.message).toMatch(/^missing X-Runledger-Key, X-Runledger-Timestamp, X-Runledger-Signature: send /);
    const noSignature = await fetch(`${apiUrl()}/v1/budget`, {
      headers: { "x-runledger-key": key.id, "x-runledger-timestamp": String(Math.floor(Date.now() / 1000)) },
    });
    expect(((await noSignature.json()) as ApiErrorBody).error.message).toMatch(/^missing X-Runledger-Signature: /);
    expect((await send(key.id, key.secret, { timestamp: "yesterday" })).body.error.message).toContain("X-Runledger-Timestamp must be");
    expect((await send(key.id, key.secret, { signature: "sha256=abc" })).body.error.message).toContain("X-Runledger-Signature must be");
  });

  test("a wrong admin token is told apart from a missing one", async () => {
    const wrong = await admin<ApiErrorBody>("GET", "/admin/keys", undefined, "not-the-admin-token");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toBe("the bearer token is not this deployment's admin token");
    const missing = (await (await fetch(`${apiUrl()}/admin/keys`)).json()) as ApiErrorBody;
    expect(missing.error.message).toBe("send Authorization: Bearer <admin token>");
  });

  test("a timestamp more than 300 s away, either way, is out of range", async () => {
    const { key } = await newKey();
    const now = Math.floor(Date.now() / 1000);
    expect((await send(key.id, key.secret, { timestamp: String(now - 305) })).body.error.code).toBe("timestamp_out_of_range");
    expect((await send(key.id, key.secret, { timestamp: String(now + 305) })).body.error.code).toBe("timestamp_out_of_range");
    expect((await send(key.id, key.secret, { timestamp: String(now - 290) })).status).toBe(200);
  });

  test("a signature used twice is a replay, for every method; millisecond timestamps sign apart", async () => {
    const { key } = await newKey();
    const ts = String(Math.floor(Date.now() / 1000));
    expect((await send(key.id, key.secret, { timestamp: ts })).status).toBe(200);
    const replay = await send(key.id, key.secret, { timestamp: ts });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe("replayed_request");
    const body = JSON.stringify({ code: "1" });
    expect((await send(key.id, key.secret, { method: "POST", body, timestamp: `${ts}.001` })).status).toBe(202);
    expect((await send(key.id, key.secret, { method: "POST", body, timestamp: `${ts}.001` })).body.error.code).toBe("replayed_request");
    expect((await send(key.id, key.secret, { method: "POST", body, timestamp: `${ts}.002` })).status).toBe(202);
  });

  test("a read runs beside its signature's recording, yet a replay or a revoked key still answers first", async () => {
    const { key } = await newKey();
    const ts = String(Math.floor(Date.now() / 1000));
    const missing = "/v1/executions/exe_00000000000000000000000000";
    const first = await send(key.id, key.secret, { path: missing, timestamp: ts });
    expect(first.status, JSON.stringify(first.body)).toBe(404);
    const replay = await send(key.id, key.secret, { path: missing, timestamp: ts });
    expect(replay.status, JSON.stringify(replay.body)).toBe(401);
    expect(replay.body.error.code).toBe("replayed_request");
    expect((await admin("DELETE", `/admin/keys/${key.id}`)).status).toBe(200);
    for (const [i, path] of [missing, "/v1/executions", "/v1/budget"].entries()) {
      const refused = await send(key.id, key.secret, { path, timestamp: `${ts}.10${i}` });
      expect(refused.status, `${path}: ${JSON.stringify(refused.body)}`).toBe(403);
      expect(refused.body.error.code).toBe("key_revoked");
    }
  });

  test("an exact resend of a POST with an Idempotency-Key answers the original execution", async () => {
    const { key } = await newKey();
    const ts = (Date.now() / 1000).toFixed(3);
    const options = {
      method: "POST",
      body: JSON.stringify({ code: "print('once')" }),
      timestamp: ts,
      headers: { "idempotency-key": "deploy-42" },
    };
    const first = await send(key.id, key.secret, options);
    const resend = await send(key.id, key.secret, options);
    expect(first.status).toBe(202);
    expect(resend.status).toBe(200);
    expect(resend.headers.get("idempotent-replayed")).toBe("true");
    expect((resend.body as unknown as Execution).id).toBe((first.body as unknown as Execution).id);
  });

  test("a captured submit resent with another or an added Idempotency-Key is a replay, and nothing runs", async () => {
    const { key, client } = await newKey();
    const ts = (Date.now() / 1000).toFixed(3);
    const captured = { method: "POST", body: JSON.stringify({ code: "print('charged to the victim')" }), timestamp: ts };
    const first = await send(key.id, key.secret, { ...captured, headers: { "idempotency-key": "original" } });
    expect(first.status).toBe(202);
    for (const forged of ["another", "original-2", "Original"]) {
      const resend = await send(key.id, key.secret, { ...captured, headers: { "idempotency-key": forged } });
      expect(resend.body.error?.code, `${forged}: ${resend.status} ${JSON.stringify(resend.body)}`).toBe("replayed_request");
    }
    // The same without a key at first: adding one later does not make a resend welcome.
    const bare = { ...captured, timestamp: (Number(ts) + 0.001).toFixed(3) };
    expect((await send(key.id, key.secret, bare)).status).toBe(202);
    expect((await send(key.id, key.secret, { ...bare, headers: { "idempotency-key": "added" } })).body.error.code).toBe("replayed_request");
    const list = await client.listExecutions({ limit: 10 });
    expect(list.data).toHaveLength(2);
  });

  test("the resend exception is for submits only: a replayed redeliver is refused even with an Idempotency-Key", async () => {
    const { key } = await newKey();
    const ts = (Date.now() / 1000).toFixed(3);
    const options = {
      method: "POST",
      path: "/v1/executions/exe_0000000000000000000000zz/redeliver",
      timestamp: ts,
      headers: { "idempotency-key": "x" },
    };
    expect((await send(key.id, key.secret, options)).body.error.code).toBe("not_found");
    expect((await send(key.id, key.secret, options)).body.error.code).toBe("replayed_request");
  });

  test("an unknown key is unauthorized whatever its timestamp", async () => {
    const { key } = await newKey();
    const stale = String(Math.floor(Date.now() / 1000) - 1000);
    expect((await send("key_0000000000000000000000zz", key.secret, { timestamp: stale })).body.error.code).toBe("unauthorized");
  });

  test("several signatures may be sent; one match is enough", async () => {
    const { key } = await newKey();
    const ts = (Date.now() / 1000).toFixed(3);
    const good = await signRequest(key.secret, ts, "GET", "/v1/executions", new Uint8Array());
    const res = await send(key.id, key.secret, { timestamp: ts, signature: `v1=${"0".repeat(64)} v1=${good}` });
    expect(res.status).toBe(200);
  });

  test("the path and query are signed exactly as sent", async () => {
    const { key } = await newKey();
    const ts = (Date.now() / 1000).toFixed(3);
    const signedFor = await signRequest(key.secret, ts, "GET", "/v1/executions?limit=5", new Uint8Array());
    const res = await send(key.id, key.secret, { path: "/v1/executions?limit=6", timestamp: ts, signature: `v1=${signedFor}` });
    expect(res.body.error.code).toBe("unauthorized");
  });

  test("after a rotation the previous secret keeps working; a revoked key is refused", async () => {
    const { key, client } = await newKey();
    const rotated = await admin<{ secret: string; previous_valid_until: string }>("POST", `/admin/keys/${key.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(new Date(rotated.body.previous_valid_until).getTime() - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    expect((await client.request("GET", "/v1/executions")).status).toBe(200);
    const fresh = new RunledgerClient({ url: apiUrl(), keyId: key.id, secret: rotated.body.secret });
    expect((await fresh.request("GET", "/v1/executions")).status).toBe(200);
    expect((await admin("DELETE", `/admin/keys/${key.id}`)).status).toBe(200);
    const refused = await fresh.request<ApiErrorBody>("GET", "/v1/executions");
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("key_revoked");
  });
});

/**
 * POSTs `size` bytes in 64 KiB writes, with Content-Length or chunked (none declared), as a client
 * that does not wait for the end of its upload to read the answer: what it reads, or how it failed.
 */
function upload(
  path: string,
  size: number,
  framing: "chunked" | "length",
  type = "application/json",
): Promise<{ status: number | undefined; code: string | undefined } | { failed: string }> {
  const url = new URL(path, apiUrl());
  const chunk = Buffer.alloc(64 * 1024, "a");
  const writes = Math.ceil(size / chunk.length);
  return new Promise((resolve) => {
    const req = request(url, {
      method: "POST",
      headers: { "content-type": type, ...(framing === "length" ? { "content-length": String(writes * chunk.length) } : {}) },
    });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (data: Buffer) => {
        text += data.toString();
      });
      res.on("end", () => {
        const code = (JSON.parse(text) as Partial<ApiErrorBody>).error?.code;
        resolve({ status: res.statusCode, code });
      });
      res.on("error", (error: NodeJS.ErrnoException) => resolve({ failed: `${res.statusCode} then ${error.code ?? error.message}` }));
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ failed: error.code ?? error.message }));
    let written = 0;
    const write = () => {
      while (written < writes) {
        written += 1;
        if (!req.write(chunk)) return void req.once("drain", write);
      }
      req.end();
    };
    write();
  });
}

describe("bodies", () => {
  test("a body that is not JSON is 415 before anything else; over 1 MiB is 413", async () => {
    const { key } = await newKey();
    const wrongType = await fetch(`${apiUrl()}/v1/executions`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "print(1)",
    });
    expect(wrongType.status).toBe(415);
    expect(((await wrongType.json()) as ApiErrorBody).error.code).toBe("unsupported_media_type");
    const huge = await fetch(`${apiUrl()}/v1/executions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(1024 * 1024 + 1),
    });
    expect(huge.status).toBe(413);
    const broken = await send(key.id, key.secret, { method: "POST", body: '{"code": ' });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe("invalid_json");
  });

  test("an oversized upload of any framing is answered 413, never reset or 5xx, also eight at once", async () => {
    const mib = 1024 * 1024;
    const cases = [
      ...Array.from({ length: 8 }, () => ({ path: "/v1/executions", size: 1.2 * mib, framing: "chunked" as const })),
      ...Array.from({ length: 8 }, () => ({ path: "/v1/executions", size: 5 * mib, framing: "length" as const })),
      { path: "/v1/executions", size: 16 * mib, framing: "chunked" as const },
      { path: "/admin/keys", size: 3 * mib, framing: "length" as const },
    ];
    const answers = await Promise.all(cases.map((one) => upload(one.path, one.size, one.framing)));
    expect(answers, JSON.stringify(answers)).toEqual(cases.map(() => ({ status: 413, code: "payload_too_large" })));
    // A body on a route that takes none is read and dropped too: the answer arrives.
    expect(await upload("/nowhere", 3 * mib, "chunked")).toEqual({ status: 404, code: "not_found" });
    expect(await upload("/v1/executions", 2 * mib, "chunked", "text/plain")).toEqual({ status: 415, code: "unsupported_media_type" });
  });

  test("oversized headers are refused before any work", async () => {
    const res = await fetch(`${apiUrl()}/v1/executions`, { headers: { "x-padding": "p".repeat(20_000) } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ApiErrorBody).error.code).toBe("invalid_request");
  });

  test("schema failures are 400 invalid_request naming the fields", async () => {
    const { key } = await newKey({ max_timeout_ms: 60_000 });
    const cases: Array<[unknown, string]> = [
      [{}, "code"],
      [{ code: "" }, "code"],
      [{ code: "1", surprise: true }, "surprise"],
      [{ code: "1", template: null }, "template"],
      [{ code: "1", language: "cobol" }, "language"],
      [{ code: "1", timeout_ms: 500 }, "timeout_ms"],
      [{ code: "1", timeout_ms: 120_000 }, "timeout_ms"],
      [{ code: "1", env: { "1BAD": "x" } }, "env"],
      [{ code: "1", files: [{ path: "../etc/passwd", content: "x" }] }, "files"],
      [{ code: "1", files: [{ path: "a", content: "x", mode: 7 }] }, "files"],
      [{ code: "1", metadata: { k: "v".repeat(513) } }, "metadata"],
      [{ code: "x".repeat(256 * 1024 + 1) }, "code"],
      [{ code: "1", webhook_url: "ftp://example.com/hook" }, "webhook_url"],
      [{ code: "1", webhook_url: "http://user:pw@example.com/hook" }, "webhook_url"],
      [{ code: "1", template: "base", language: "python" }, "language"],
      [{ code: "1", template: "no-such" }, "template"],
      [[1, 2], "(body)"],
    ];
    for (const [body, field] of cases) {
      const res = await send(key.id, key.secret, { method: "POST", body: JSON.stringify(body), timestamp: (Date.now() / 1000).toFixed(3) });
      expect(res.status, `${JSON.stringify(body).slice(0, 80)} → ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(JSON.stringify(res.body.error.details), JSON.stringify(body).slice(0, 80)).toContain(field);
    }
    const badWait = await send(key.id, key.secret, { method: "POST", path: "/v1/executions?wait=61", body: '{"code":"1"}' });
    expect(badWait.status).toBe(400);
    expect(JSON.stringify(badWait.body.error.details)).toContain("wait");
  });

  test("a key limited to some templates is refused others", async () => {
    const { key } = await newKey({ templates: ["base"] });
    const res = await send(key.id, key.secret, { method: "POST", body: '{"code":"print(1)"}' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("template_not_allowed");
  });

  test("a submit whose worst case does not fit the budget is 402 with the figures", async () => {
    const { key } = await newKey({ budget_usd: "0.001" });
    const res = await send(key.id, key.secret, { method: "POST", body: '{"code":"print(1)"}' });
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe("budget_exceeded");
    expect(res.body.error.details).toEqual({
      window: "period",
      limit_usd: "0.001000",
      spent_usd: "0.000000",
      reserved_usd: "0.000000",
      required_usd: "0.001147",
    });
  });
});
