import { connect } from "node:net";
import { describe, expect, test } from "vitest";
import { apiUrl } from "./harness.js";

// What answers on the Worker's port is the Worker: no development route of the local runtime
// (cron triggers, email, the platform proxy) answers there.
describe("the Worker's port", () => {
  test.each([
    ["GET", "/__scheduled?cron=*+*+*+*+*"],
    ["GET", "/cdn-cgi/handler/scheduled?cron=*+*+*+*+*"],
    ["POST", "/cdn-cgi/handler/scheduled"],
    ["GET", "/cdn-cgi/mf/scheduled"],
    ["POST", "/cdn-cgi/handler/email?from=a@b.c&to=d@e.f"],
    ["GET", "/cdn-cgi/explorer"],
  ])("%s %s is the Worker's own 404", async (method, path) => {
    const res = await fetch(`${apiUrl()}${path}`, { method, headers: { host: "localhost" } });
    const body = (await res.json()) as { error: { code: string; request_id: string } };
    expect(res.status).toBe(404);
    expect(body.error.code).toBe("not_found");
    expect(res.headers.get("x-request-id")).toBe(body.error.request_id);
  });

  test("a body framed both ways reaches the Worker, which answers in its envelope", async () => {
    const { hostname, port } = new URL(apiUrl());
    const answer = await rawRequest(
      hostname,
      Number(port),
      "POST /v1/executions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer).toContain('"code":"unauthorized"');
  });
});

function rawRequest(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => socket.write(text));
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString();
      if (received.includes("\r\n\r\n") && /\}\s*$/.test(received)) socket.end();
    });
    socket.on("close", () => resolve(received));
    socket.on("error", reject);
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer")));
  });
}
