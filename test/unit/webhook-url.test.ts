import { describe, expect, test } from "vitest";
import { ApiError } from "../../functions/errors.js";
import { checkWebhookUrl, isPrivateAddress, isPrivateHost } from "../../functions/services/webhook-url.js";

describe("webhook destinations", () => {
  test.each([
    "localhost",
    "api.localhost",
    "127.0.0.1",
    "10.1.2.3",
    "172.20.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "[::1]",
    "[fd00::1]",
    "[fe80::1]",
    "[::ffff:127.0.0.1]",
    "metadata.google.internal",
    "intranet",
    "localhost.",
    "printer.local",
    "127.0.0.1.nip.io",
    "app.10.0.0.5.sslip.io",
    "app-192-168-1-20.nip.io",
    "7f000001.nip.io",
    "[::127.0.0.1]",
    "[::7f00:1]",
    "[64:ff9b::7f00:1]",
    "[64:ff9b:1::a00:1]",
    "[2002:7f00:1::]",
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
    "[fe80::200:5efe:c0a8:1]",
    "[::ffff:0:7f00:1]",
    "[ff02::1]",
    "[fec0::1]",
    "198.18.0.1",
    "192.0.0.8",
  ])("%s is private", (host) => {
    expect(isPrivateHost(new URL(`https://${host}/`).hostname)).toBe(true);
  });

  test.each(["example.com", "8.8.8.8", "172.32.0.1", "[2606:4700::1111]", "8.8.8.8.nip.io", "hooks.example.com.", "deadbeef.example.com"])(
    "%s is public",
    (host) => {
      expect(isPrivateHost(new URL(`https://${host}/`).hostname)).toBe(false);
    },
  );

  test("resolved addresses are judged the same way", () => {
    for (const address of ["127.0.0.1", "10.1.2.3", "::1", "fd00::5", "::ffff:10.0.0.1", "64:ff9b::a00:1"])
      expect(isPrivateAddress(address), address).toBe(true);
    for (const address of ["93.184.216.34", "2606:4700::1111"]) expect(isPrivateAddress(address), address).toBe(false);
  });

  test("numeric forms of loopback are normalised and refused", () => {
    expect(() => checkWebhookUrl("https://2130706433/hook", false)).toThrow(ApiError);
    expect(() => checkWebhookUrl("https://0x7f.1/hook", false)).toThrow(ApiError);
  });

  test("https only, no credentials; local mode allows http and private hosts", () => {
    expect(checkWebhookUrl("https://hooks.example.com/x?y=1", false)).toBe("https://hooks.example.com/x?y=1");
    expect(() => checkWebhookUrl("http://hooks.example.com/x", false)).toThrow(ApiError);
    expect(() => checkWebhookUrl("https://u:p@hooks.example.com/x", false)).toThrow(ApiError);
    expect(() => checkWebhookUrl("not a url", true)).toThrow(ApiError);
    expect(checkWebhookUrl("http://127.0.0.1:9000/hook", true)).toBe("http://127.0.0.1:9000/hook");
  });
});
