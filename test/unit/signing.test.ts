import { execFileSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { constantTimeEqualText, requestSigningString, sha256Hex, signRequest, signWebhook } from "../../functions/services/signing.js";

const encoder = new TextEncoder();

describe("request signing", () => {
  test("matches openssl over the contract's signing string", async () => {
    const secret = "sk_test-secret-of-the-right-shape-0000000000000";
    const body = '{"language":"python","code":"print(6*7)"}';
    const signed = await requestSigningString("1795342245", "POST", "/v1/executions?wait=5", encoder.encode(body));
    const expected = execFileSync("openssl", ["dgst", "-sha256", "-hmac", secret, "-r"], { input: signed }).toString().split(" ")[0];
    expect(await signRequest(secret, "1795342245", "POST", "/v1/executions?wait=5", encoder.encode(body))).toBe(expected);
    expect(signed.split("\n")).toEqual(["1795342245", "POST", "/v1/executions?wait=5", await sha256Hex(encoder.encode(body))]);
  });

  test("an empty body hashes to the well-known empty SHA-256", async () => {
    expect(await sha256Hex(new Uint8Array())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  test("constant-time comparison still compares", () => {
    expect(constantTimeEqualText("v1=abc", "v1=abc")).toBe(true);
    expect(constantTimeEqualText("v1=abc", "v1=abd")).toBe(false);
    expect(constantTimeEqualText("v1=abc", "v1=abcd")).toBe(false);
    expect(constantTimeEqualText("", "x")).toBe(false);
  });
});

describe("webhook signing", () => {
  test("is the Standard Webhooks signature: base64 HMAC of id.timestamp.body under the decoded secret", async () => {
    const key = Buffer.from("a".repeat(32));
    const whsec = `whsec_${key.toString("base64")}`;
    const expected = execFileSync("openssl", ["dgst", "-sha256", "-mac", "HMAC", "-macopt", `hexkey:${key.toString("hex")}`, "-binary"], {
      input: "msg_1.1795342245.{}",
    }).toString("base64");
    expect(await signWebhook(whsec, "msg_1", 1795342245, "{}")).toBe(`v1,${expected}`);
  });
});
