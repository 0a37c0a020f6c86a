import { Sandbox } from "e2b";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type HostUnderTest, startHost } from "./harness.js";

// Signed file URLs carry no sandbox id and no token: the signature names the sandbox.
let t: HostUnderTest;
let sbx: Sandbox;

beforeAll(async () => {
  t = await startHost();
  sbx = await Sandbox.create("base", { ...t.sdk, timeoutMs: 120_000, secure: true });
});

afterAll(async () => {
  await sbx?.kill().catch(() => false);
  await t.stop();
});

test("a signed download URL reads the file with no other credential", async () => {
  await sbx.files.write("shared.txt", "hello world");
  const res = await fetch(await sbx.downloadUrl("shared.txt", { useSignatureExpiration: 10_000 }));
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("hello world");
});

test("a signed upload URL takes a form field and writes to the user's or root's home", async () => {
  const home = (await sbx.commands.run("pwd")).stdout.trim();
  const rootHome = (await sbx.commands.run("pwd", { user: "root" })).stdout.trim();
  for (const [user, path] of [
    [undefined, `${home}/up.txt`],
    ["root", `${rootHome}/up.txt`],
  ] as const) {
    const form = new FormData();
    form.append("file", "uploaded");
    const res = await fetch(await sbx.uploadUrl("up.txt", { user, useSignatureExpiration: 10_000 }), { method: "POST", body: form });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ name: "up.txt", path, type: "file" }]);
    expect(await sbx.files.read("up.txt", { user })).toBe("uploaded");
  }
  if (t.host.isolation.bubblewrap) expect(rootHome).toBe("/root");
});

test("an expired or forged signature gets envd's 401", async () => {
  const expired = await fetch(await sbx.downloadUrl("shared.txt", { useSignatureExpiration: -10_000 }));
  expect(expired.status).toBe(401);
  expect(await expired.json()).toEqual({ code: 401, message: "signature is already expired" });
  const url = new URL(await sbx.downloadUrl("shared.txt"));
  url.searchParams.set("path", "other.txt");
  const forged = await fetch(url);
  expect(forged.status).toBe(401);
});
