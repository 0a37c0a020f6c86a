import { z } from "@hono/zod-openapi";
import { EXECUTION_STATUSES, LANGUAGES } from "../../db/schema/enums.js";

const MAX_CODE_BYTES = 256 * 1024;
const MAX_FILES_BYTES = 512 * 1024;
const encoder = new TextEncoder();

const zFile = z.strictObject({
  path: z
    .string()
    .min(1)
    .max(1024)
    .refine((p) => !p.startsWith("/") && !p.split("/").includes("..") && !p.includes("\0"), {
      message: "must be a path relative to /home/user, without '..'",
    })
    .openapi({
      description: "where the file goes, relative to the code's working directory /home/user; no `..`",
      example: "data/input.csv",
    }),
  content: z.string().openapi({ description: "the file's content, as `encoding` says", example: "a,b\n1,2\n" }),
  encoding: z.enum(["utf8", "base64"]).default("utf8").openapi({ description: "how `content` is written: UTF-8 text or base64 bytes" }),
});

export function decodedSize(file: z.infer<typeof zFile>): number {
  if (file.encoding === "utf8") return encoder.encode(file.content).length;
  const clean = file.content.replace(/=+$/, "");
  return Math.floor((clean.length * 3) / 4);
}

export const TAG = /^[a-z0-9][a-z0-9:._-]{0,63}$/;

/** A glob relative to /home/user: `*`, `?`, `[…]` and `**`; never absolute, never `..`. */
const zOutputPattern = z
  .string()
  .min(1)
  .max(256)
  .refine((p) => !p.startsWith("/") && !p.split("/").includes(".."), { message: "must be relative to /home/user, without '..'" });

export const zExecutionCreate = z
  .strictObject({
    code: z
      .string()
      .refine((c) => c.length > 0, { message: "must not be empty" })
      .refine((c) => encoder.encode(c).length <= MAX_CODE_BYTES, { message: `must be at most ${MAX_CODE_BYTES} bytes of UTF-8` })
      .openapi({ description: "the code to run: 1 byte to 256 KiB of UTF-8", example: "print(6*7)" }),
    language: z.enum(LANGUAGES).default("python").openapi({ description: "the code's language; the template must support it" }),
    template: z.string().min(1).max(128).optional().openapi({
      description: "the sandbox template (default: the deployment's, code-interpreter-v1); must be in the key's templates, if it lists any",
      example: "code-interpreter-v1",
    }),
    timeout_ms: z.number().int().min(1000).default(30_000).openapi({
      description: "when the run is stopped and ends timed_out: 1000 to the key's max_timeout_ms; the reservation is priced from it",
    }),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "names must match [A-Za-z_][A-Za-z0-9_]*"), z.string())
      .refine((e) => Object.keys(e).length <= 64, { message: "at most 64 entries" })
      .default({})
      .openapi({ description: "environment variables for the code: at most 64, names [A-Za-z_][A-Za-z0-9_]*", example: { MODE: "test" } }),
    files: z
      .array(zFile)
      .max(32)
      .refine((files) => files.every((f) => f.encoding !== "base64" || /^[A-Za-z0-9+/]*={0,2}$/.test(f.content)), {
        message: "base64 content is not valid base64",
      })
      .refine((files) => files.reduce((sum, f) => sum + decodedSize(f), 0) <= MAX_FILES_BYTES, {
        message: `at most ${MAX_FILES_BYTES} bytes decoded in all`,
      })
      .default([])
      .openapi({ description: "files written before the code runs: at most 32, at most 512 KiB decoded in all" }),
    webhook_url: z.string().max(2048).optional().openapi({
      description:
        "where the execution.completed event goes when the run ends (Standard Webhooks, signed with the key's webhook_secret): https, no private or loopback host, no credentials",
      example: "https://example.com/hooks/runledger",
    }),
    metadata: z
      .record(z.string().max(64), z.string().max(512))
      .refine((m) => Object.keys(m).length <= 16, { message: "at most 16 entries" })
      .default({})
      .openapi({
        description: "your own labels, returned as given: at most 16, keys up to 64 chars, values up to 512",
        example: { job: "nightly-42" },
      }),
    internet: z.boolean().optional().openapi({
      description: "whether the sandbox may reach the internet (never the machine that runs runledger); default: the key's internet_access",
    }),
    outputs: z
      .array(zOutputPattern)
      .max(16)
      .default([])
      .openapi({ description: "glob patterns under /home/user whose files come back in result.files", example: ["out/*.csv"] }),
    tags: z
      .array(z.string().regex(TAG, "tags must match ^[a-z0-9][a-z0-9:._-]{0,63}$"))
      .max(8)
      .refine((tags) => new Set(tags).size === tags.length, { message: "must be distinct" })
      .default([])
      .openapi({ description: "labels for reports (group_by=tag) and filters (?tag=)", example: ["nightly", "team:data"] }),
    timeout_policy: z.enum(["exact", "fit"]).default("exact").openapi({
      description:
        "fit: when the reservation for timeout_ms does not fit what remains of the budget, run with the largest whole-second timeout that does (at least 1000 ms); the answer's Runledger-Timeout-Reduced header gives the requested value",
    }),
  })
  .openapi("ExecutionCreate", {
    description: "What to run. Unknown fields are refused; leave out an optional field rather than sending null.",
    example: { language: "python", code: "print(6*7)", timeout_ms: 30000, tags: ["nightly"] },
  });

export type ExecutionCreate = z.infer<typeof zExecutionCreate>;

export const zOutputFile = z
  .object({
    path: z.string().openapi({ description: "relative to /home/user" }),
    size: z.number().int().openapi({ description: "bytes" }),
    encoding: z.enum(["utf8", "base64"]).openapi({ description: "utf8 when the bytes are valid UTF-8, else base64" }),
    content: z.string(),
  })
  .openapi("OutputFile", { description: "A file the run left that matched one of its `outputs` patterns" });

export const zExecutionResult = z
  .object({
    stdout: z.string().openapi({ description: "what the code printed (NUL and invalid UTF-8 become U+FFFD)", example: "42\n" }),
    stderr: z.string().openapi({ example: "" }),
    text: z.string().nullable().openapi({ description: "the text of the main rich result, if any" }),
    results: z
      .array(z.record(z.string(), z.unknown()))
      .openapi({ description: "rich results (text, png as base64, html, json...), as the code interpreter gives them", example: [] }),
    error: z
      .object({ name: z.string(), value: z.string(), traceback: z.string() })
      .nullable()
      .openapi({ description: "the error the code raised, if it did" }),
    exit_code: z.number().int().nullable().openapi({ description: "the code's exit status; 1 when it raised", example: 0 }),
    truncated: z.boolean().openapi({ description: "output went over its cap and was cut; the status is unaffected" }),
    files: z.array(zOutputFile).openapi({ description: "the files that matched `outputs` (at most 32, within the results cap)" }),
  })
  .openapi("ExecutionResult", { description: "What the run produced; null until the execution finishes" });

export const zExecution = z
  .object({
    id: z.string().openapi({ description: "exe_ and 24 characters, time-ordered", example: "exe_01jd8k2m3n4p5q6r7s8t9v0w1x" }),
    status: z.enum(EXECUTION_STATUSES).openapi({
      description:
        "queued, running, then one of: succeeded (ran, no error), failed (raised or exited non-zero), timed_out, canceled, error (the platform could not run it)",
      example: "succeeded",
    }),
    language: z.enum(LANGUAGES).openapi({ example: "python" }),
    template: z.string().openapi({ example: "code-interpreter-v1" }),
    timeout_ms: z.number().int().openapi({ description: "the timeout granted (less than asked under timeout_policy fit)", example: 30000 }),
    internet: z.boolean().openapi({ description: "whether the sandbox could reach the internet", example: true }),
    tags: z.array(z.string()).openapi({ example: ["nightly"] }),
    metadata: z.record(z.string(), z.string()).openapi({ example: {} }),
    created_at: z.string().openapi({ description: "RFC 3339 UTC, milliseconds", example: "2026-11-22T10:04:05.123Z" }),
    started_at: z.string().nullable().openapi({ example: "2026-11-22T10:04:05.301Z" }),
    finished_at: z.string().nullable().openapi({ example: "2026-11-22T10:04:05.514Z" }),
    duration_ms: z.number().int().nullable().openapi({ description: "how long the code ran", example: 41 }),
    sandbox_ms: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "the sandbox's life, from create to confirmed kill: what is billed, by the started second", example: 212 }),
    reserved_usd: z.string().openapi({ description: "the worst case held against the budget while it runs", example: "0.001147" }),
    cost_usd: z.string().nullable().openapi({ description: "the actual cost, once finished", example: "0.000037" }),
    result: zExecutionResult.nullable(),
    webhook: z
      .object({
        url: z.string().openapi({ example: "https://example.com/hooks/runledger" }),
        status: z.enum(["pending", "delivered", "failed"]),
        attempts: z.number().int(),
      })
      .nullable()
      .openapi({ description: "null when no webhook_url was given" }),
  })
  .openapi("Execution", { description: "One run of code, from submission to its final status and cost" });

export type Execution = z.infer<typeof zExecution>;

export const zExecutionList = z.object({ data: z.array(zExecution), next_cursor: z.string().nullable() }).openapi("ExecutionList");

export const zExecutionIdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

/** A whole-number query parameter within bounds (query values arrive as strings). */
export function zQueryInt(min: number, max: number, description: string) {
  return z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .openapi({ type: "integer", description });
}
