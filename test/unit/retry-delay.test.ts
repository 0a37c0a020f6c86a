import { describe, expect, test } from "vitest";
import { retryDelay } from "../../functions/services/event-delivery.js";

const SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];
const now = new Date("2026-11-22T10:00:00Z");

describe("webhook retry delays", () => {
  test("follow the contract's schedule with ±10% jitter", () => {
    for (const [attempt, base] of SCHEDULE.entries()) {
      const low = retryDelay({ schedule: SCHEDULE, random: () => 0 }, attempt + 1, { statusCode: 500, retryAfter: null }, now);
      const high = retryDelay({ schedule: SCHEDULE, random: () => 0.999999 }, attempt + 1, { statusCode: 500, retryAfter: null }, now);
      expect(low).toBeCloseTo(base * 0.9, 5);
      expect(high).toBeCloseTo(base * 1.1, 0);
      expect(high).toBeLessThanOrEqual(base * 1.1);
    }
  });

  test("honour Retry-After on 429 and 503, in seconds or as a date; not on other statuses", () => {
    const deps = { schedule: SCHEDULE, random: () => 0.5 };
    expect(retryDelay(deps, 1, { statusCode: 429, retryAfter: "2" }, now)).toBe(2);
    expect(retryDelay(deps, 1, { statusCode: 503, retryAfter: "Sun, 22 Nov 2026 10:01:00 GMT" }, now)).toBe(60);
    expect(retryDelay(deps, 1, { statusCode: 500, retryAfter: "2" }, now)).toBe(5);
    expect(retryDelay(deps, 1, { statusCode: 429, retryAfter: "soon" }, now)).toBe(5);
    expect(retryDelay(deps, 1, { statusCode: 429, retryAfter: "999999" }, now)).toBe(86_400);
  });
});
