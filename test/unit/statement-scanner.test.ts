import { expect, test } from "vitest";
import { StatementScanner } from "../../local/pg-wire.js";

function message(type: string, body: string): Buffer {
  const payload = Buffer.from(body);
  const header = Buffer.alloc(5);
  header.write(type, 0);
  header.writeInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

// The idle suite counts statements at the proxy: the count must not depend on how the stream is cut.
test("statements are counted however the client's stream is split", () => {
  const stream = Buffer.concat([
    message("Q", "select 1\0"),
    message("P", "\0select $1\0\0\0"),
    message("B", "\0\0\0\0\0\0\0\0\0\0"),
    message("E", "\0\0\0\0\0"),
    message("S", ""),
    message("Q", `${"x".repeat(70_000)}\0`),
    message("X", ""),
  ]);
  for (const size of [1, 2, 3, 5, 7, 64, 4096, stream.length]) {
    const scanner = new StatementScanner();
    let counted = 0;
    for (let at = 0; at < stream.length; at += size) counted += scanner.scan(stream.subarray(at, at + size));
    expect(counted, `in pieces of ${size} bytes`).toBe(3);
  }
});
