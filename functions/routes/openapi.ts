import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { requestIdHeader } from "../schemas/error.js";

/** `/openapi.json`: OpenAPI 3.1 generated from the same schemas that validate requests; `/docs` renders it. */
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
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/docs",
    summary: "This document as a page, with no scripts or external assets",
    responses: { 200: { description: "HTML", headers: requestIdHeader, content: { "text/html": { schema: { type: "string" } } } } },
  });
  // Built on first use (every route is registered by then) and kept for the isolate's life.
  let spec: Spec | undefined;
  let docs: string | undefined;
  const document = () => {
    spec ??= finish(app.getOpenAPI31Document(DOCUMENT) as unknown as Spec);
    return spec;
  };
  app.get("/openapi.json", (c) => c.json(document()));
  // The same document as a page: server-rendered, no scripts, no external assets, so it works offline.
  app.get("/docs", (c) => {
    docs ??= renderDocs(document());
    return c.html(docs);
  });
}

const DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "runledger",
    version: "1.0.0",
    description:
      "Run untrusted code on demand, with a ledger of what it cost. `/v1/*` requests are signed with a key " +
      "(the three `X-Runledger-*` headers); `/admin/*` requests carry the admin token. Every error is " +
      "`{error: {code, message, request_id, details?}}` and every response carries `X-Request-Id`.",
  },
  tags: [
    { name: "executions", description: "Run code and follow it" },
    { name: "money", description: "Budget and cost reports" },
    { name: "admin", description: "Keys and reports over every key (admin token)" },
    { name: "dashboard", description: "The cost dashboard: pages for people, links to them" },
    { name: "open", description: "No credentials needed" },
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
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, unknown>>;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; headers?: Record<string, unknown> }>;
}

interface Spec {
  info: { title: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

const html = (text: string) => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

function renderDocs(spec: Spec): string {
  const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const auth = op.security?.length
        ? Object.keys(op.security[0] ?? {}).includes("AdminToken")
          ? "admin token"
          : "signed request"
        : "open";
      const params = (op.parameters ?? []).map(
        (p) => `<li><code>${html(p.name)}</code> (${p.in}${p.required ? ", required" : ""}) ${html(p.description ?? "")}</li>`,
      );
      const body = op.requestBody?.content?.["application/json"]?.schema;
      const responses = Object.entries(op.responses ?? {}).map(([code, r]) => `<li><code>${code}</code> ${html(r.description ?? "")}</li>`);
      return `<section id="${html(`${method}-${path}`)}"><h2><span class="m">${method.toUpperCase()}</span> <code>${html(path)}</code></h2>
<p>${html(op.summary ?? "")} <em>(${auth})</em></p>
${params.length ? `<h3>Parameters</h3><ul>${params.join("")}</ul>` : ""}
${body ? `<h3>Body</h3><pre>${html(JSON.stringify(body, null, 2))}</pre>` : ""}
<h3>Responses</h3><ul>${responses.join("")}</ul></section>`;
    }),
  );
  const schemas = Object.entries(spec.components?.schemas ?? {}).map(
    ([name, schema]) =>
      `<section id="schema-${html(name)}"><h2>${html(name)}</h2><pre>${html(JSON.stringify(schema, null, 2))}</pre></section>`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${html(spec.info.title)} API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h2{font-size:1.1rem;border-top:1px solid #ddd;padding-top:1rem}.m{background:#1b1f24;color:#fff;padding:0 .4rem;border-radius:3px}
pre{background:#f5f6f8;padding:.75rem;overflow:auto;font-size:13px}code{font-size:.95em}</style></head><body>
<h1>${html(spec.info.title)} API</h1><p>${html(spec.info.description ?? "")} The machine-readable document is at <a href="/openapi.json">/openapi.json</a>.</p>
${operations.join("\n")}<h1>Schemas</h1>${schemas.join("\n")}</body></html>`;
}
