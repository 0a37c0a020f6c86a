import { createHash, timingSafeEqual } from "node:crypto";
import type { Sandbox } from "./sandbox.js";

/**
 * The sandbox a signed file URL (`files.uploadUrl` / `downloadUrl`) belongs to. Such a URL carries
 * no sandbox id and no token, only `v1_` + SHA-256 of `path:operation:user:token[:expiration]`,
 * so the sandbox is the one whose envd token gives that signature. Answers envd's 401 messages.
 */
export function signedSandbox(
  sandboxes: Sandbox[],
  url: URL,
  method: string,
  now = Date.now(),
): { sandbox: Sandbox } | { status: 401 | 400; message: string } {
  const signature = url.searchParams.get("signature") ?? "";
  const expiration = url.searchParams.get("signature_expiration");
  const operation = method === "GET" ? "read" : "write";
  const path = url.searchParams.get("path") ?? "";
  const user = url.searchParams.get("username") ?? "";
  const sent = Buffer.from(signature);
  const sandbox = sandboxes.find((candidate) => {
    const raw = [path, operation, user, candidate.envdAccessToken, ...(expiration === null ? [] : [expiration])].join(":");
    const expected = Buffer.from(`v1_${createHash("sha256").update(raw).digest("base64").replace(/=+$/, "")}`);
    return expected.length === sent.length && timingSafeEqual(expected, sent);
  });
  if (!sandbox) return { status: 401, message: "invalid signature" };
  if (expiration !== null && Number(expiration) * 1000 < now) return { status: 401, message: "signature is already expired" };
  return { sandbox };
}
