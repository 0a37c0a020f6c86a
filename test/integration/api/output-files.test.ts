import { describe, expect, test } from "vitest";
import { type ApiErrorBody, newKey, run } from "./harness.js";
import { Receiver } from "./receiver.js";

type Files = Array<{ path: string; size: number; encoding: "utf8" | "base64"; content: string }>;

const decoded = (file: Files[number]) => (file.encoding === "base64" ? Buffer.from(file.content, "base64") : Buffer.from(file.content));

// `outputs`: the files a run leaves behind come back in `result.files` (contract §8).
describe("output files", () => {
  test("text and binary files matching the patterns, nested folders by **, in the result, the webhook and the SSE end", async () => {
    const { client } = await newKey();
    const receiver = await Receiver.start();
    try {
      const code = [
        "import os",
        "os.makedirs('out/deep/er', exist_ok=True)",
        "open('out/report.csv', 'w').write('a,b\\n1,2\\n')",
        "open('out/deep/er/more.csv', 'w').write('é,ü\\n')",
        "open('out/image.bin', 'wb').write(bytes(range(256)))",
        "open('out/nul.txt', 'wb').write(b'a\\x00b')",
        "open('out/skip.txt', 'w').write('not asked for')",
      ].join("\n");
      const execution = await run(client, {
        code,
        outputs: ["out/**/*.csv", "out/*.bin", "out/nul.txt"],
        webhook_url: receiver.url,
      });
      expect(execution.status, JSON.stringify(execution.result)).toBe("succeeded");
      const files = execution.result?.files as Files;
      expect(files.map((f) => [f.path, f.encoding, f.size])).toEqual([
        ["out/deep/er/more.csv", "utf8", 6],
        ["out/report.csv", "utf8", 8],
        ["out/image.bin", "base64", 256],
        ["out/nul.txt", "base64", 3],
      ]);
      expect(files[0]?.content).toBe("é,ü\n");
      expect(decoded(files[2] as Files[number])).toEqual(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
      expect(decoded(files[3] as Files[number])).toEqual(Buffer.from([0x61, 0, 0x62]));
      expect(execution.result?.truncated).toBe(false);

      const [delivery] = await receiver.waitFor(1);
      expect((JSON.parse(delivery?.body ?? "{}") as { data: { result: { files: Files } } }).data.result.files).toEqual(files);
      for await (const event of client.events(execution.id)) {
        if (event.event !== "end") continue;
        expect((event.data as { result: { files: Files } }).result.files).toEqual(files);
        break;
      }
    } finally {
      await receiver.close();
    }
  });

  test("a glob matching nothing gives [] and no truncation; no outputs asked gives []", async () => {
    const { client } = await newKey();
    const none = await run(client, { code: "print(1)", outputs: ["nothing/*.csv"] });
    expect(none.result?.files).toEqual([]);
    expect(none.result?.truncated).toBe(false);
    const unasked = await run(client, { code: "open('a.txt','w').write('x')" });
    expect(unasked.result?.files).toEqual([]);
  });

  test("40 matching files: 32 come back, and truncated says the rest did not", async () => {
    const { client } = await newKey();
    const execution = await run(client, {
      code: "import os\nos.makedirs('many')\nfor i in range(40):\n    open(f'many/{i:02}.txt', 'w').write(str(i))",
      outputs: ["many/*.txt"],
    });
    const files = execution.result?.files as Files;
    expect(files).toHaveLength(32);
    expect(files[0]).toEqual({ path: "many/00.txt", size: 1, encoding: "utf8", content: "0" });
    expect(execution.result?.truncated).toBe(true);
  });

  test("a file larger than the results cap is left out, and truncated; a smaller one still comes back", async () => {
    const { client } = await newKey();
    const execution = await run(client, {
      code: "open('big.bin','wb').write(b'x' * (5 * 1024 * 1024))\nopen('small.txt','w').write('ok')",
      outputs: ["big.bin", "small.txt"],
    });
    expect(execution.status).toBe("succeeded");
    expect((execution.result?.files ?? []).map((f) => f.path)).toEqual(["small.txt"]);
    expect(execution.result?.truncated).toBe(true);
  });

  test("a symlink out of home, and a folder linked out of home, are skipped, never followed", async () => {
    const { client } = await newKey();
    const code = [
      "import os",
      "os.makedirs('out')",
      "os.symlink('/etc/passwd', 'out/passwd.txt')",
      "os.symlink('/etc', 'out/etc')",
      "os.symlink('/home/user/out/real.txt', 'out/inside-link.txt')",
      "open('out/real.txt', 'w').write('mine')",
    ].join("\n");
    const execution = await run(client, { code, outputs: ["out/*.txt", "out/etc/*", "out/**/passwd"] });
    expect((execution.result?.files ?? []).map((f) => f.path)).toEqual(["out/real.txt"]);
  });

  test("files are collected after a failure and after a timeout too", async () => {
    const { client } = await newKey();
    const failed = await run(client, { code: "open('r.txt','w').write('partial')\nraise SystemExit(2)", outputs: ["r.txt"] });
    expect(failed.status).toBe("failed");
    expect((failed.result?.files ?? [])[0]?.content).toBe("partial");
    const timedOut = await run(client, {
      code: "import time\nopen('t.txt','w').write('so far')\ntime.sleep(30)",
      outputs: ["t.txt"],
      timeout_ms: 2000,
    });
    expect(timedOut.status).toBe("timed_out");
    expect((timedOut.result?.files ?? [])[0]?.content).toBe("so far");
  });

  test("patterns must stay under /home/user: absolute, '..' and more than 16 are 400 naming the field", async () => {
    const { client } = await newKey();
    for (const [outputs, field] of [
      [["/etc/*"], "outputs.0"],
      [["ok/*", "../x"], "outputs.1"],
      [Array.from({ length: 17 }, (_, i) => `f${i}`), "outputs"],
    ] as const) {
      const res = await client.request<ApiErrorBody>("POST", "/v1/executions", { code: "print(1)", outputs });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([expect.objectContaining({ field })]);
    }
  });
});
