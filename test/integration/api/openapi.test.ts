import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { beforeAll, describe, expect, test } from "vitest";
import { describeInBrowser, guardedPage } from "./browser.js";
import { apiUrl } from "./harness.js";

interface MediaType {
  schema?: { $ref?: string };
  examples?: Record<string, { value: { error: { code: string; message: string; request_id: string } } }>;
}
interface Response {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, MediaType>;
}
interface Operation {
  summary?: string;
  security?: Array<Record<string, string[]>>;
  responses: Record<string, Response>;
}
interface Spec {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, Record<string, string>> };
}

/** Contract §6, written out again here so that the document is checked against the contract, not against itself. */
const STATUS: Record<string, number> = {
  invalid_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  timestamp_out_of_range: 401,
  replayed_request: 401,
  budget_exceeded: 402,
  key_revoked: 403,
  template_not_allowed: 403,
  internet_not_allowed: 403,
  not_found: 404,
  idempotency_conflict: 409,
  execution_finished: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  concurrency_limit: 429,
  internal: 500,
  unavailable: 503,
};

/** What any request through the admin middleware can meet: token, body limits, the platform. */
const ADMIN = ["unauthorized", "invalid_request", "invalid_json", "payload_too_large", "unsupported_media_type", "internal", "unavailable"];
/** The signature rules on top of that, for every signed route. */
const SIGNED = [...ADMIN, "timestamp_out_of_range", "replayed_request", "key_revoked"];

/** Every API route, with the error codes it may answer. */
const ROUTES: Record<string, string[]> = {
  "POST /v1/executions": [
    ...SIGNED,
    "budget_exceeded",
    "template_not_allowed",
    "internet_not_allowed",
    "idempotency_conflict",
    "concurrency_limit",
  ],
  "GET /v1/executions": SIGNED,
  "GET /v1/events": SIGNED,
  "GET /v1/executions/{id}": [...SIGNED, "not_found"],
  "POST /v1/executions/{id}/cancel": [...SIGNED, "not_found", "execution_finished"],
  "GET /v1/executions/{id}/deliveries": [...SIGNED, "not_found"],
  "GET /v1/executions/{id}/events": [...SIGNED, "not_found"],
  "POST /v1/executions/{id}/redeliver": [...SIGNED, "not_found"],
  "GET /v1/budget": SIGNED,
  "GET /v1/costs": SIGNED,
  "POST /v1/dashboard-link": SIGNED,
  "POST /admin/keys": ADMIN,
  "GET /admin/keys": ADMIN,
  "GET /admin/keys/{id}": [...ADMIN, "not_found"],
  "PATCH /admin/keys/{id}": [...ADMIN, "not_found"],
  "POST /admin/keys/{id}/rotate": [...ADMIN, "not_found", "key_revoked"],
  "DELETE /admin/keys/{id}": [...ADMIN, "not_found"],
  "GET /admin/costs": ADMIN,
  "POST /admin/keys/{id}/dashboard-link": [...ADMIN, "not_found", "key_revoked"],
  "GET /healthz": ["unavailable", "internal"],
  "GET /livez": [],
};
const PAGES = [
  "GET /openapi.json",
  "GET /docs",
  "GET /dashboard",
  "POST /dashboard",
  "GET /dashboard/{key_id}",
  "GET /dashboard/{key_id}/executions/{id}",
];

let spec: Spec;

beforeAll(async () => {
  const res = await fetch(`${apiUrl()}/openapi.json`);
  expect(res.status).toBe(200);
  spec = (await res.json()) as Spec;
});

function operation(route: string): Operation {
  const [method = "", path = ""] = route.split(" ");
  const op = spec.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`${route} is not in /openapi.json; it has: ${Object.keys(spec.paths).join(", ")}`);
  return op;
}

/** The error codes a documented operation names, by status, from the examples of its error responses. */
function documentedCodes(op: Operation): Map<string, number> {
  const codes = new Map<string, number>();
  for (const [status, response] of Object.entries(op.responses)) {
    if (Number(status) < 400) continue;
    for (const code of Object.keys(response.content?.["application/json"]?.examples ?? {})) codes.set(code, Number(status));
  }
  return codes;
}

describe("/openapi.json", () => {
  test("is a valid OpenAPI 3.1 document whose references all resolve", async () => {
    expect(spec.openapi).toBe("3.1.0");
    const validator = new Validator();
    // The validator resolves references in place: give it a copy.
    const result = await validator.validate(structuredClone(spec) as unknown as Record<string, unknown>);
    expect(result.valid, `OpenAPI validation failed:\n${JSON.stringify(result.errors, null, 2)}`).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  test("describes every route of the contract", () => {
    const documented = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual([...Object.keys(ROUTES), ...PAGES].sort());
    for (const route of documented) expect(operation(route).summary, route).toBeTruthy();
  });

  test("names the signature headers and the admin bearer as security schemes, on the routes that need them", () => {
    const schemes = spec.components.securitySchemes;
    expect(schemes.RunledgerKey).toMatchObject({ type: "apiKey", in: "header", name: "X-Runledger-Key" });
    expect(schemes.RunledgerTimestamp).toMatchObject({ type: "apiKey", in: "header", name: "X-Runledger-Timestamp" });
    expect(schemes.RunledgerSignature).toMatchObject({ type: "apiKey", in: "header", name: "X-Runledger-Signature" });
    expect(schemes.AdminToken).toMatchObject({ type: "http", scheme: "bearer" });
    for (const route of Object.keys(ROUTES)) {
      const security = operation(route).security;
      if (route.includes(" /v1/")) expect(security, route).toEqual([{ RunledgerKey: [], RunledgerTimestamp: [], RunledgerSignature: [] }]);
      else if (route.includes(" /admin/")) expect(security, route).toEqual([{ AdminToken: [] }]);
      else expect(security ?? [], route).toEqual([]);
    }
  });

  test("lists, per route, the contract's error codes under their statuses, in the error envelope", () => {
    for (const [route, expected] of Object.entries(ROUTES)) {
      const codes = documentedCodes(operation(route));
      for (const code of expected) expect(codes.get(code), `${route} should document ${code}`).toBe(STATUS[code]);
      for (const [status, response] of Object.entries(operation(route).responses)) {
        if (Number(status) < 400) continue;
        expect(response.content?.["application/json"]?.schema, `${route} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
        for (const code of Object.keys(response.content?.["application/json"]?.examples ?? {})) {
          expect(response.description, `${route} ${status}`).toContain(code);
          expect(STATUS[code], `${route} documents ${code}, which is not in the contract`).toBe(Number(status));
        }
        if (status === "429" || status === "503")
          expect(Object.keys(response.headers ?? {}), `${route} ${status}`).toContain("Retry-After");
      }
    }
    const everywhere = new Set(Object.keys(ROUTES).flatMap((route) => [...documentedCodes(operation(route)).keys()]));
    expect([...everywhere].sort()).toEqual(Object.keys(STATUS).sort());
  });

  test("the error envelope is the contract's, and every example fits it", () => {
    expect(spec.components.schemas.Error).toMatchObject({
      type: "object",
      required: ["error"],
      properties: { error: { type: "object", required: ["code", "message", "request_id"] } },
    });
    const envelope = spec.components.schemas.Error as { properties: { error: { properties: { code: { enum: string[] } } } } };
    expect(envelope.properties.error.properties.code.enum.sort()).toEqual(Object.keys(STATUS).sort());
    for (const route of Object.keys(ROUTES)) {
      for (const response of Object.values(operation(route).responses)) {
        for (const [name, example] of Object.entries(response.content?.["application/json"]?.examples ?? {})) {
          expect(example.value.error.code, route).toBe(name);
          expect(example.value.error.message, route).toEqual(expect.any(String));
          expect(example.value.error.request_id, route).toMatch(/^req_/);
        }
      }
    }
    const budget = operation("POST /v1/executions").responses["402"]?.content?.["application/json"]?.examples?.budget_exceeded?.value.error;
    expect(Object.keys((budget as { details?: object } | undefined)?.details ?? {})).toEqual([
      "limit_usd",
      "spent_usd",
      "reserved_usd",
      "required_usd",
    ]);
  });

  test("every response documents X-Request-Id, and real answers of each kind carry it", async () => {
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [status, response] of Object.entries(op.responses)) {
          expect(Object.keys(response.headers ?? {}), `${method} ${path} ${status}`).toContain("X-Request-Id");
        }
      }
    }
    // An open route, a refused signed one, a refused admin one, an unknown path and a refused dashboard page.
    for (const path of ["/healthz", "/v1/budget", "/admin/keys", "/no-such-route", "/dashboard/key_00000000000000000000000000"]) {
      const res = await fetch(`${apiUrl()}${path}`);
      await res.arrayBuffer();
      expect(res.headers.get("x-request-id"), path).toMatch(/^req_/);
    }
  });
});

describe("/docs", () => {
  test("is a page of scripts from this origin only, under a policy that allows nothing else", async () => {
    const res = await fetch(`${apiUrl()}/docs`);
    const page = await res.text();
    expect(res.status, page).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).not.toMatch(/https?:|\*/);
    const scripts = [...page.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1] ?? "");
    expect(scripts.length).toBe(2);
    for (const attributes of scripts) expect(attributes, "no inline script").toMatch(/^ src="\/docs\/assets\/[a-z0-9.-]+\.js"$/);
    expect(page).not.toMatch(/https?:\/\//);
  });

  test("serves its scripts as JavaScript, cached for good under names that change with them", async () => {
    const page = await (await fetch(`${apiUrl()}/docs`)).text();
    const paths = [...page.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1] ?? "");
    const { devDependencies } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      devDependencies: Record<string, string>;
    };
    expect(paths).toContain(`/docs/assets/scalar-api-reference-${devDependencies["@scalar/api-reference"]}.js`);
    for (const path of paths) {
      const res = await fetch(`${apiUrl()}${path}`);
      const body = await res.text();
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toBe("text/javascript; charset=utf-8");
      expect(res.headers.get("cache-control"), path).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(body.length, path).toBeGreaterThan(path.includes("scalar") ? 1_000_000 : 100);
    }
    const missing = await fetch(`${apiUrl()}/docs/assets/nothing.js`);
    await missing.arrayBuffer();
    expect(missing.status).toBe(404);
  });

  test("the document says how to sign, and its main schemas describe their fields", () => {
    const info = (spec as unknown as { info: { description: string } }).info.description;
    expect(info).toContain("## Signing a request");
    expect(info).toContain("openssl dgst -sha256 -hmac");
    for (const name of ["ExecutionCreate", "Execution", "ExecutionResult", "KeyCreate", "Budget", "CostReport"]) {
      const schema = spec.components.schemas[name] as { properties: Record<string, { description?: string; $ref?: string }> };
      const bare = Object.entries(schema.properties)
        .filter(([, property]) => !property.description && !property.$ref)
        .map(([field]) => field);
      // A few fields say all in their name and example (stderr, tags, metadata...): most must be described.
      expect(bare.length, `${name}: ${bare.join(", ")} have no description`).toBeLessThanOrEqual(Object.keys(schema.properties).length / 2);
    }
    const body = spec.components.schemas.ExecutionCreate as { example?: { code?: string } };
    expect(body.example?.code).toBe("print(6*7)");
  });
});

describeInBrowser("/docs in a browser", (browser) => {
  test("renders every operation with Scalar, asks nothing of any other origin, and shows the first one's example", async () => {
    const origin = new URL(apiUrl()).origin;
    const guarded = await guardedPage(browser(), origin);
    try {
      // A blocked load or eval is reported as a console error, and so recorded with the others.
      await guarded.page.addInitScript({
        content: `document.addEventListener("securitypolicyviolation", (e) =>
          console.error("policy violation: " + e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber));`,
      });
      const res = await guarded.page.goto(`${apiUrl()}/docs`, { waitUntil: "load" });
      expect(res?.status()).toBe(200);
      await expect(guarded.page.title()).resolves.toBe("runledger API");
      const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, summary: op.summary ?? "" })),
      );
      // The table of contents: every operation by its summary (every tag is open), and the signing recipe.
      const sidebar = guarded.page.locator("aside.t-doc__sidebar");
      await sidebar
        .getByText(operations[0]?.summary ?? "", { exact: true })
        .first()
        .waitFor({ timeout: 30_000 });
      const contents = (await sidebar.textContent()) ?? "";
      for (const { route, summary } of operations) expect(contents, route).toContain(summary);
      // The introduction's headings are in it too, once its group is opened.
      await sidebar
        .getByRole("button", { name: /Introduction/ })
        .first()
        .click();
      await sidebar.getByText("Signing a request", { exact: true }).waitFor({ timeout: 5_000 });
      // The first operation, with its fields described and its example: the request body in the code sample, an
      // Execution in the response example.
      const first = operations[0];
      expect(first?.route).toBe("POST /v1/executions");
      const section = guarded.page.locator(`[id$="/POST/v1/executions"]`).first();
      await section.scrollIntoViewIfNeeded();
      await section.getByText("print(6*7)").filter({ visible: true }).first().waitFor({ timeout: 15_000 });
      const text = (await section.textContent()) ?? "";
      expect(text).toContain("the code to run");
      expect(text).toContain("X-Runledger-Signature");
      expect(text).toContain("exe_01jd8k2m3n4p5q6r7s8t9v0w1x");
      // The introduction is rendered markdown: code, not literal backticks.
      const intro = guarded.page.locator(".introduction-section").first();
      expect(await intro.textContent()).not.toContain("`/v1/*`");
      expect(await intro.locator("code", { hasText: "openssl dgst -sha256 -hmac" }).count()).toBeGreaterThan(0);
      expect(guarded.requested.length).toBeGreaterThan(0);
      expect(guarded.requested.every((url) => new URL(url).origin === origin)).toBe(true);
      expect(guarded.external).toEqual([]);
      expect(guarded.consoleErrors).toEqual([]);
    } finally {
      await guarded.context.close();
    }
  });
});
