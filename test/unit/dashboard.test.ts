import { describe, expect, test } from "vitest";
import { ApiError } from "../../functions/errors.js";
import { dashboardRange, daysBetween } from "../../functions/services/dashboard-data.js";
import { signDashboardLink, verifyDashboardLink } from "../../functions/services/dashboard-link.js";
import { niceStep } from "../../functions/views/dashboard/format.js";

const SECRET = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
const OTHER_SECRET = btoa(String.fromCharCode(...new Uint8Array(32).fill(8)));
const KEY = "key_k7r2m4q9x1v8c3n6b5t0z2wa";
const NOW = new Date("2026-11-22T10:00:00.000Z");
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

describe("dashboard links", () => {
  test("a link verifies until it expires, and not a second after", async () => {
    const link = await signDashboardLink(SECRET, KEY, NOW, 900);
    expect(link.expires).toBe(NOW.getTime() / 1000 + 900);
    expect(link.path).toBe(`/dashboard/${KEY}`);
    expect(await verifyDashboardLink(SECRET, KEY, String(link.expires), link.sig, at(899))).toEqual({ ok: true });
    expect(await verifyDashboardLink(SECRET, KEY, String(link.expires), link.sig, at(900))).toMatchObject({ ok: false, reason: "expired" });
  });

  test("a lifetime over 24 h is cut to 24 h when signing and refused when verifying", async () => {
    const link = await signDashboardLink(SECRET, KEY, NOW, 7 * 86_400);
    expect(link.expires).toBe(NOW.getTime() / 1000 + 86_400);
    const future = await signDashboardLink(SECRET, KEY, at(3600), 86_400);
    expect(await verifyDashboardLink(SECRET, KEY, String(future.expires), future.sig, NOW)).toMatchObject({
      ok: false,
      reason: "too_long",
    });
  });

  test("any change to key, expiry, signature or secret breaks it", async () => {
    const link = await signDashboardLink(SECRET, KEY, NOW, 900);
    const other = "key_k7r2m4q9x1v8c3n6b5t0z2wb";
    const flipped = `${link.sig.slice(0, -1)}${link.sig.endsWith("0") ? "1" : "0"}`;
    expect(await verifyDashboardLink(SECRET, other, String(link.expires), link.sig, NOW)).toMatchObject({ reason: "bad_signature" });
    expect(await verifyDashboardLink(SECRET, KEY, String(link.expires + 1), link.sig, NOW)).toMatchObject({ reason: "bad_signature" });
    expect(await verifyDashboardLink(SECRET, KEY, String(link.expires), flipped, NOW)).toMatchObject({ reason: "bad_signature" });
    expect(await verifyDashboardLink(OTHER_SECRET, KEY, String(link.expires), link.sig, NOW)).toMatchObject({ reason: "bad_signature" });
    expect(await verifyDashboardLink(SECRET, KEY, undefined, link.sig, NOW)).toMatchObject({ reason: "malformed" });
    // Both parameters present but the signature out of form: a bad signature, not an incomplete link.
    expect(await verifyDashboardLink(SECRET, KEY, String(link.expires), link.sig.toUpperCase(), NOW)).toMatchObject({
      reason: "bad_signature",
    });
  });
});

describe("dashboard range", () => {
  test("defaults to the 30 days ending today (UTC), to inclusive", () => {
    expect(dashboardRange({}, NOW)).toEqual({ from: "2026-10-24", to: "2026-11-22" });
    expect(dashboardRange({ to: "2026-03-01" }, NOW)).toEqual({ from: "2026-01-31", to: "2026-03-01" });
    expect(daysBetween("2026-02-27", "2026-03-01")).toEqual(["2026-02-27", "2026-02-28", "2026-03-01"]);
  });

  test("refuses non-dates, reversed ranges and ranges over 366 days", () => {
    for (const query of [{ from: "2026-02-30" }, { from: "2026-03-02", to: "2026-03-01" }, { from: "2024-01-01", to: "2026-01-01" }]) {
      expect(() => dashboardRange(query, NOW), JSON.stringify(query)).toThrow(ApiError);
    }
    expect(dashboardRange({ from: "2025-11-22", to: "2026-11-22" }, NOW).from).toBe("2025-11-22");
  });
});

test("chart steps are 1, 2 or 5 times a power of ten micro-dollars", () => {
  expect([0, 3, 222, 1000, 74_000, 2_500_000].map(niceStep)).toEqual([1, 1, 100, 500, 20_000, 1_000_000]);
});
