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

describeInBrowser("/docs in a browser", (browser) => {
  test("renders every operation and asks nothing of any other origin", async () => {
    const origin = new URL(apiUrl()).origin;
    const guarded = await guardedPage(browser(), origin);
    try {
      const res = await guarded.page.goto(`${apiUrl()}/docs`, { waitUntil: "load" });
      expect(res?.status()).toBe(200);
      await expect(guarded.page.title()).resolves.toBe("runledger API");
      const headings = await guarded.page.locator("section h2").allTextContents();
      for (const [path, methods] of Object.entries(spec.paths)) {
        for (const method of Object.keys(methods)) expect(headings, `${method} ${path}`).toContain(`${method.toUpperCase()} ${path}`);
      }
      expect(await guarded.page.locator("body").textContent()).toContain("ExecutionCreate");
      expect(guarded.requested.length).toBeGreaterThan(0);
      expect(guarded.requested.every((url) => new URL(url).origin === origin)).toBe(true);
      expect(guarded.external).toEqual([]);
      expect(guarded.consoleErrors).toEqual([]);
    } finally {
      await guarded.context.close();
    }
  });
});
