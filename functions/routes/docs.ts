import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { requestIdHeader } from "../schemas/error.js";

/**
 * The version of `@scalar/api-reference` in package.json: it names the bundle's URL, so that the URL
 * can be cached for good (a test checks that the two agree).
 */
export const SCALAR_VERSION = "1.76.0";
export const SCALAR_PATH = `/docs/assets/scalar-api-reference-${SCALAR_VERSION}.js`;

/**
 * Runs before Scalar's bundle and mounts it once the page is parsed. The zod inside the bundle would
 * probe for `Function` (eval) otherwise, which the page's policy forbids; jitless zod never does.
 * Everything that would reach another origin is off: fonts (the system's are used), telemetry, the
 * developer tools, the agent and the request client (a `/v1/*` call needs a computed signature).
 */
const SETUP = `"use strict";
(globalThis.__zod_globalConfig ??= {}).jitless = true;
document.addEventListener("DOMContentLoaded", () => {
  globalThis.Scalar.createApiReference("#reference", {
    url: "/openapi.json",
    withDefaultFonts: false,
    telemetry: false,
    showDeveloperTools: "never",
    hideClientButton: true,
    hideTestRequestButton: true,
    agent: { disabled: true },
    mcp: { disabled: true },
    defaultOpenAllTags: true,
  });
});
`;
const SETUP_PATH = `/docs/assets/setup-${fnv1a(SETUP)}.js`;

/**
 * Only this origin. Scalar writes its styles into `<style>` elements and `style` attributes, so styles
 * also allow 'unsafe-inline'; scripts stay strictly 'self' (no inline script, no eval).
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>runledger API</title>
</head>
<body>
<noscript>This page renders <a href="/openapi.json">/openapi.json</a> with scripts; that document is the same reference as JSON.</noscript>
<div id="reference"></div>
<script src="${SETUP_PATH}"></script>
<script src="${SCALAR_PATH}"></script>
</body>
</html>
`;

/** The scripts' names change with their content, so they can be cached for good. */
const ASSET_HEADERS = {
  "Content-Type": "text/javascript; charset=utf-8",
  "Cache-Control": "public, max-age=31536000, immutable",
  "X-Content-Type-Options": "nosniff",
};

/** `/docs`: the OpenAPI document rendered by Scalar's API reference, every byte of it served from here. */
export function registerDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/docs",
    summary: "This document as a page (Scalar's API reference, served from this Worker; nothing is loaded from elsewhere)",
    responses: { 200: { description: "HTML", headers: requestIdHeader, content: { "text/html": { schema: { type: "string" } } } } },
  });
  app.get("/docs", (c) => {
    c.header("Content-Security-Policy", DOCS_CSP);
    c.header("Cache-Control", "no-cache");
    return c.html(PAGE);
  });
  app.get(SETUP_PATH, (c) => c.body(SETUP, 200, ASSET_HEADERS));
  app.get(SCALAR_PATH, async (c) => c.body(await scalarBundle(), 200, ASSET_HEADERS));
}

/**
 * Scalar's API reference as one self-contained browser script, a text module in the Worker's bundle
 * (wrangler.toml's rules). Imported when first asked for, so that the app also loads in Node (where
 * `npm run build:types` asks it for /openapi.json), which has no text modules.
 */
async function scalarBundle(): Promise<string> {
  return (await import("@scalar/api-reference/dist/browser/standalone.js")).default;
}

/** A short content hash (FNV-1a, 32 bits) for a cache-busting file name. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}
