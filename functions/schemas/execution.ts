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
    }),
  content: z.string(),
  encoding: z.enum(["utf8", "base64"]).default("utf8"),
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
      .refine((c) => encoder.encode(c).length <= MAX_CODE_BYTES, { message: `must be at most ${MAX_CODE_BYTES} bytes of UTF-8` }),
    language: z.enum(LANGUAGES).default("python"),
    template: z.string().min(1).max(128).optional(),
    timeout_ms: z.number().int().min(1000).default(30_000),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "names must match [A-Za-z_][A-Za-z0-9_]*"), z.string())
      .refine((e) => Object.keys(e).length <= 64, { message: "at most 64 entries" })
      .default({}),
    files: z
      .array(zFile)
      .max(32)
      .refine((files) => files.every((f) => f.encoding !== "base64" || /^[A-Za-z0-9+/]*={0,2}$/.test(f.content)), {
        message: "base64 content is not valid base64",
      })
      .refine((files) => files.reduce((sum, f) => sum + decodedSize(f), 0) <= MAX_FILES_BYTES, {
        message: `at most ${MAX_FILES_BYTES} bytes decoded in all`,
      })
      .default([]),
    webhook_url: z.string().max(2048).optional(),
    metadata: z
      .record(z.string().max(64), z.string().max(512))
      .refine((m) => Object.keys(m).length <= 16, { message: "at most 16 entries" })
      .default({}),
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
  .openapi("ExecutionCreate");

export type ExecutionCreate = z.infer<typeof zExecutionCreate>;

export const zOutputFile = z
  .object({
    path: z.string().openapi({ description: "relative to /home/user" }),
    size: z.number().int(),
    encoding: z.enum(["utf8", "base64"]),
    content: z.string(),
  })
  .openapi("OutputFile");

export const zExecutionResult = z
  .object({
    stdout: z.string(),
    stderr: z.string(),
    text: z.string().nullable(),
    results: z.array(z.record(z.string(), z.unknown())),
    error: z.object({ name: z.string(), value: z.string(), traceback: z.string() }).nullable(),
    exit_code: z.number().int().nullable(),
    truncated: z.boolean(),
    files: z.array(zOutputFile).openapi({ description: "the files that matched `outputs` (at most 32, within the results cap)" }),
  })
  .openapi("ExecutionResult");

export const zExecution = z
  .object({
    id: z.string().openapi({ example: "exe_01jd8k2m3n4p5q6r7s8t9v0w1x" }),
    status: z.enum(EXECUTION_STATUSES),
    language: z.enum(LANGUAGES),
    template: z.string(),
    timeout_ms: z.number().int(),
    internet: z.boolean(),
    tags: z.array(z.string()),
    metadata: z.record(z.string(), z.string()),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().int().nullable(),
    sandbox_ms: z.number().int().nullable(),
    reserved_usd: z.string().openapi({ example: "0.001147" }),
    cost_usd: z.string().nullable().openapi({ example: "0.000037" }),
    result: zExecutionResult.nullable(),
    webhook: z.object({ url: z.string(), status: z.enum(["pending", "delivered", "failed"]), attempts: z.number().int() }).nullable(),
  })
  .openapi("Execution");

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
