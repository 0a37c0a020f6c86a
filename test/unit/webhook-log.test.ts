import { describe, expect, test } from "vitest";
import { failedAttemptLine } from "../../functions/services/event-delivery.js";

describe("the log line of a failed webhook attempt", () => {
  const event = {
    id: "msg_0000000000000000000000aa",
    type: "execution.completed",
    executionId: "exe_0000000000000000000000bb",
    url: "https://hooks.example.com/catch/123/abc?token=s3cret",
    attempts: 2,
  };

  test("names the event, the host and why, in one line, without the URL's path or query", () => {
    const line = failedAttemptLine(
      event,
      { statusCode: null, error: `could not connect: to ${event.url}\n  at somewhere\n  at else` },
      "next attempt in 300 s",
    );
    expect(line).toBe(
      "webhook msg_0000000000000000000000aa (execution.completed of exe_0000000000000000000000bb) to hooks.example.com, attempt 2, failed: could not connect: to hooks.example.com; next attempt in 300 s",
    );
    expect(line).not.toContain("s3cret");
    expect(line).not.toContain("\n");
  });

  test("says the status a receiver answered, and an account event's type alone", () => {
    expect(
      failedAttemptLine(
        { ...event, executionId: null, type: "budget.threshold_reached" },
        { statusCode: 500, error: null },
        "no more attempts",
      ),
    ).toBe(
      "webhook msg_0000000000000000000000aa (budget.threshold_reached) to hooks.example.com, attempt 2, failed: answered 500; no more attempts",
    );
  });
});
