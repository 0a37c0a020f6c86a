import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { requestIdHeader } from "../schemas/error.js";

/** `/openapi.json`: OpenAPI 3.1 generated from the same schemas that validate requests; `/docs` renders it (routes/docs.ts). */
export function registerOpenApi(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "RunledgerKey", {
    type: "apiKey",
    in: "header",
    name: "X-Runledger-Key",
    description: "The key id, `key_...`. Sent together with X-Runledger-Timestamp and X-Runledger-Signature.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "RunledgerTimestamp", {
    type: "apiKey",
    in: "header",
    name: "X-Runledger-Timestamp",
    description: "Unix seconds, optionally with milliseconds (1795342245.123); within 300 s of the server clock",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "RunledgerSignature", {
    type: "apiKey",
    in: "header",
    name: "X-Runledger-Signature",
    description:
      "v1=<lowercase hex HMAC-SHA256 of `{timestamp}\\n{METHOD}\\n{path-and-query}\\n{hex sha256 of body}`, keyed with the key secret>; " +
      "several may be sent space-separated. Each signature is good once.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "AdminToken", {
    type: "http",
    scheme: "bearer",
    description: "`Authorization: Bearer <ADMIN_TOKEN>`, the deployment's admin token",
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/openapi.json",
    summary: "This document: OpenAPI 3.1",
    responses: { 200: { description: "The OpenAPI document", headers: requestIdHeader, content: { "application/json": { schema: {} } } } },
  });
  // Built on first use (every route is registered by then) and kept for the isolate's life.
  let spec: Spec | undefined;
  const document = () => {
    spec ??= finish(app.getOpenAPI31Document(DOCUMENT) as unknown as Spec);
    return spec;
  };
  app.get("/openapi.json", (c) => c.json(document()));
}

/** The signing recipe (contract §2), shown first on /docs. */
const SIGNING = `
## Signing a request

Every \`/v1/*\` request carries three headers:

| header | value |
|---|---|
| \`X-Runledger-Key\` | the key id, \`key_...\` |
| \`X-Runledger-Timestamp\` | unix seconds, with milliseconds to tell apart requests sent in the same second: \`1795342245.123\` |
| \`X-Runledger-Signature\` | \`v1=\` and the lowercase hex HMAC-SHA256, keyed with the key secret (the whole \`sk_...\` string), of the string below |

The signed string joins four lines with \`\\n\`: the timestamp exactly as sent, the method, the path and query exactly as
sent, and the lowercase hex SHA-256 of the raw body bytes (an empty body hashes to \`e3b0c442...b855\`):

\`\`\`text
{timestamp}\\n{METHOD}\\n{path-and-query}\\n{hex sha256 of the body}
\`\`\`

From a shell, on Linux or macOS (perl and openssl are on both):

\`\`\`bash
ts=$(perl -MTime::HiRes=time -e 'printf "%.3f", time')
path=/v1/executions; body='{"language":"python","code":"print(6*7)"}'
h=$(printf '%s' "$body" | openssl dgst -sha256 -r | cut -d' ' -f1)
sig=$(printf '%s\\n%s\\n%s\\n%s' "$ts" POST "$path" "$h" | openssl dgst -sha256 -hmac "$RUNLEDGER_SECRET" -r | cut -d' ' -f1)
curl -sS "$RUNLEDGER_URL$path" -H 'content-type: application/json' \\
  -H "x-runledger-key: $RUNLEDGER_KEY" -H "x-runledger-timestamp: $ts" -H "x-runledger-signature: v1=$sig" --data "$body"
\`\`\`

From Node (no dependencies):

\`\`\`js
import { createHash, createHmac } from "node:crypto";
const body = JSON.stringify({ language: "python", code: "print(6*7)" });
const ts = (Date.now() / 1000).toFixed(3);
const hash = createHash("sha256").update(body).digest("hex");
const sig = createHmac("sha256", process.env.RUNLEDGER_SECRET).update(\`\${ts}\\nPOST\\n/v1/executions\\n\${hash}\`).digest("hex");
// headers: x-runledger-key, x-runledger-timestamp: ts, x-runledger-signature: \`v1=\${sig}\`
\`\`\`

The server refuses, with \`401\`: missing or malformed headers or an unknown key or a wrong signature (\`unauthorized\`,
one message for all three), a timestamp more than 300 s from its clock (\`timestamp_out_of_range\`), and a signature
it has seen before (\`replayed_request\`). A network retry of a \`POST\` is safe when it is the exact same request with the
same \`Idempotency-Key\`: it answers the original execution. Several signatures may be sent space-separated
(\`v1=aaa v1=bbb\`); one match is enough, and while a rotated key's grace period lasts the previous secret verifies too.

\`/admin/*\` requests carry \`Authorization: Bearer <ADMIN_TOKEN>\` instead.
`;

const DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "runledger",
    version: "1.0.0",
    description: `Run untrusted code on demand, with a ledger of what it cost. \`/v1/*\` requests are signed with a key (the three
\`X-Runledger-*\` headers, below); \`/admin/*\` requests carry the admin token. Every error is
\`{"error": {"code", "message", "request_id", "details"?}}\` and every response carries \`X-Request-Id\`. Money is a decimal
string of US dollars with 6 places (\`"0.000148"\`); times are RFC 3339 UTC with milliseconds.
${SIGNING}`,
  },
  tags: [
    {
      name: "executions",
      description:
        "Run code and follow it. A submitted execution is `queued`, then `running`, then ends `succeeded`, `failed`, `timed_out`, " +
        "`canceled` or `error`; its webhook, if it has one, reports the end.",
    },
    { name: "money", description: "The key's budget and its cost reports (JSON, or CSV with `Accept: text/csv`)." },
    { name: "admin", description: "Keys, and reports over every key. Every call carries `Authorization: Bearer <ADMIN_TOKEN>`." },
    { name: "dashboard", description: "The cost dashboard: pages for people, and the signed links that open them." },
    { name: "open", description: "No credentials needed." },
  ],
};

function tagOf(path: string): string {
  if (path.startsWith("/v1/executions")) return "executions";
  if (path.includes("dashboard")) return "dashboard";
  if (path.startsWith("/v1/")) return "money";
  if (path.startsWith("/admin/")) return "admin";
  return "open";
}

/** What the route schemas do not say per route: the tag, and `X-Request-Id` on every response. */
function finish(spec: Spec): Spec {
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const op of Object.values(methods)) {
      op.tags ??= [tagOf(path)];
      for (const response of Object.values(op.responses ?? {})) response.headers = { ...requestIdHeader, ...response.headers };
    }
  }
  return spec;
}

interface Operation {
  tags?: string[];
  responses?: Record<string, { headers?: Record<string, unknown> }>;
}

interface Spec {
  paths: Record<string, Record<string, Operation>>;
}
