import { describe, expect, test } from "vitest";
import { type AgentEvent, MAX_EVENT_BYTES, MAX_LINE_BYTES, SupervisorChannel } from "../../local/sandbox-host/supervisor-channel.js";

function channel() {
  const events: AgentEvent[] = [];
  const violations: string[] = [];
  const reader = new SupervisorChannel(
    (event) => events.push(event),
    (reason) => violations.push(reason),
  );
  return { reader, events, violations };
}

const line = (event: unknown) => Buffer.from(`${JSON.stringify(event)}\n`);

describe("the host's reader of a supervisor", () => {
  test("reads events split anywhere across reads", () => {
    const { reader, events, violations } = channel();
    const bytes = Buffer.concat([line({ type: "ready" }), line({ id: "r1", type: "stdout", text: "héllo" })]);
    for (const byte of bytes) reader.push(Buffer.from([byte]));
    expect(events).toEqual([{ type: "ready" }, { id: "r1", type: "stdout", text: "héllo" }]);
    expect(violations).toEqual([]);
  });

  test("reassembles an event sent in chunks", () => {
    const { reader, events } = channel();
    const whole = JSON.stringify({ id: "r2", type: "file_data", data: "x".repeat(3 * MAX_LINE_BYTES) });
    const pieces = whole.match(/[\s\S]{1,262144}/g) ?? [];
    pieces.forEach((data, i) => {
      reader.push(line({ type: "chunk", data, last: i === pieces.length - 1 }));
    });
    expect(events).toHaveLength(1);
    expect(String(events[0]?.data).length).toBe(3 * MAX_LINE_BYTES);
  });

  test("a line over the cap, with or without its end, ends the channel once", () => {
    const { reader, events, violations } = channel();
    reader.push(Buffer.alloc(MAX_LINE_BYTES + 1, 0x61));
    reader.push(line({ type: "ready" }));
    expect(violations).toEqual([`a line over ${MAX_LINE_BYTES} bytes`]);
    expect(events).toEqual([]);
  });

  test("chunks beyond the event cap end the channel", () => {
    const { reader, violations } = channel();
    const data = "y".repeat(512 * 1024);
    for (let sent = 0; sent <= MAX_EVENT_BYTES && violations.length === 0; sent += data.length) reader.push(line({ type: "chunk", data }));
    expect(violations).toEqual([`an event over ${MAX_EVENT_BYTES} bytes`]);
  });

  test("text that is not an event is a violation", () => {
    for (const bad of ["not json\n", "[1,2]\n", '{"no":"type"}\n', '{"type":"chunk"}\n']) {
      const { reader, violations } = channel();
      reader.push(Buffer.from(bad));
      expect(violations, bad).toHaveLength(1);
    }
  });
});
