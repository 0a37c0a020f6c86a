import { Sandbox } from "e2b";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type HostUnderTest, startHost, waitFor } from "./harness.js";

// envd's filesystem service through the real SDK: what E2B's own file tests rely on.
let t: HostUnderTest;
let sbx: Sandbox;
/** The home as the sandbox's code sees it: /home/user under bubblewrap, a host path without. */
let home: string;

beforeAll(async () => {
  t = await startHost();
  sbx = await Sandbox.create("base", { ...t.sdk, timeoutMs: 120_000 });
  home = (await sbx.commands.run("pwd")).stdout.trim();
});

afterAll(async () => {
  await sbx?.kill().catch(() => false);
  await t.stop();
});

test("exists, getInfo and makeDir answer for files and directories", async () => {
  await sbx.files.write("notes/a.txt", "four");
  expect(await sbx.files.exists("notes/a.txt")).toBe(true);
  expect(await sbx.files.exists("notes/missing.txt")).toBe(false);
  const info = await sbx.files.getInfo("notes/a.txt");
  expect(info).toMatchObject({ name: "a.txt", type: "file", path: `${home}/notes/a.txt`, size: 4, mode: 0o644 });
  expect(info.permissions).toBe("-rw-r--r--");
  // Without bubblewrap files belong to the host user that runs the host.
  if (t.host.isolation.bubblewrap) expect(info).toMatchObject({ owner: "user", group: "user" });
  expect(info.modifiedTime).toBeInstanceOf(Date);
  expect(await sbx.files.makeDir("made/deep")).toBe(true);
  expect(await sbx.files.makeDir("made/deep")).toBe(false);
  expect((await sbx.files.getInfo("made/deep")).type).toBe("dir");
  await expect(sbx.files.getInfo("nowhere")).rejects.toThrow(/No such file/);
});

test("list walks as deep as asked, in name order", async () => {
  await sbx.files.makeDir("tree/b/inner");
  await sbx.files.write("tree/a.txt", "x");
  expect((await sbx.files.list("tree")).map((e) => e.name)).toEqual(["a.txt", "b"]);
  const deep = await sbx.files.list("tree", { depth: 2 });
  expect(deep.map((e) => e.path)).toEqual([`${home}/tree/a.txt`, `${home}/tree/b`, `${home}/tree/b/inner`]);
});

test("rename moves a file and remove deletes a tree; removing what is not there succeeds", async () => {
  await sbx.files.write("old.txt", "moving");
  const moved = await sbx.files.rename("old.txt", "new/place.txt");
  expect(moved.path).toBe(`${home}/new/place.txt`);
  expect(await sbx.files.read("new/place.txt")).toBe("moving");
  expect(await sbx.files.exists("old.txt")).toBe(false);
  await sbx.files.remove("new");
  expect(await sbx.files.exists("new")).toBe(false);
  await sbx.files.remove("new");
});

test("a write keeps its metadata; the next write without it clears it", async () => {
  const written = await sbx.files.write("meta.txt", "m", { metadata: { author: "ada" } });
  expect(written.metadata).toEqual({ author: "ada" });
  expect((await sbx.files.getInfo("meta.txt")).metadata).toEqual({ author: "ada" });
  await sbx.files.write("meta.txt", "again");
  expect((await sbx.files.getInfo("meta.txt")).metadata).toBeUndefined();
});

test("watchDir reports creates and writes, recursively when asked", async () => {
  await sbx.files.makeDir("watched/sub");
  const seen: string[] = [];
  const handle = await sbx.files.watchDir("watched", (event) => void seen.push(`${event.type}:${event.name}`), {
    recursive: true,
  });
  await sbx.files.write("watched/sub/f.txt", "1");
  await waitFor(() => (seen.some((e) => e === "create:sub/f.txt") ? true : undefined), 10_000, "a create event");
  await handle.stop();
  await expect(sbx.files.watchDir("not-there", () => {})).rejects.toThrow();
});
