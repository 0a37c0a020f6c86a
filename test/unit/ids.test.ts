import { describe, expect, test } from "vitest";
import { newExecutionId, newKeyId, newKeySecret, newMessageId, newWebhookSecret } from "../../functions/ids.js";

const CROCKFORD = /^[0-9a-hjkmnp-tv-z]{24}$/;

describe("names", () => {
  test("ids, secrets and webhook secrets take the contract's forms", () => {
    expect(newKeyId().slice(4)).toMatch(CROCKFORD);
    expect(newMessageId().slice(4)).toMatch(CROCKFORD);
    expect(newExecutionId(Date.now()).slice(4)).toMatch(CROCKFORD);
    expect(newKeySecret()).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    const whsec = newWebhookSecret();
    expect(whsec).toMatch(/^whsec_/);
    expect(Buffer.from(whsec.slice(6), "base64")).toHaveLength(32);
  });

  test("execution ids sort by creation time", () => {
    const earlier = newExecutionId(Date.UTC(2026, 0, 1));
    const later = newExecutionId(Date.UTC(2026, 0, 1) + 1);
    expect(earlier < later).toBe(true);
    expect(newExecutionId(Date.UTC(2030, 0, 1)) > newExecutionId(Date.UTC(2029, 11, 31))).toBe(true);
  });
});
