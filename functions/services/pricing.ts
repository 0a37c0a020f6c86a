import { z } from "zod";
import { LANGUAGES } from "../../db/schema/enums.js";

/** How a template is sized, and so priced. */
export interface TemplateSpec {
  vcpu: number;
  memoryMib: number;
  languages: readonly string[];
}

export interface Pricing {
  /** USD per vCPU-second and per GiB-second, as decimal strings. */
  cpuUsdPerSecond: string;
  memUsdPerGibSecond: string;
  startupAllowanceMs: number;
  templates: Record<string, TemplateSpec>;
}

/** E2B's published rates and template sizes. */
export const defaultPricing: Pricing = {
  cpuUsdPerSecond: "0.000014",
  memUsdPerGibSecond: "0.0000045",
  startupAllowanceMs: 1000,
  templates: {
    "code-interpreter-v1": { vcpu: 2, memoryMib: 2048, languages: LANGUAGES },
    base: { vcpu: 2, memoryMib: 512, languages: ["bash"] },
  },
};

const zPricingOverride = z.strictObject({
  cpu_usd_per_s: z
    .string()
    .regex(/^\d+(\.\d{1,12})?$/)
    .optional(),
  mem_usd_per_gib_s: z
    .string()
    .regex(/^\d+(\.\d{1,12})?$/)
    .optional(),
  startup_allowance_ms: z.number().int().min(0).optional(),
  templates: z
    .record(
      z.string(),
      z.strictObject({
        vcpu: z.number().positive(),
        memory_mib: z.number().int().positive(),
        languages: z.array(z.enum(LANGUAGES)).min(1),
      }),
    )
    .optional(),
});

/** The deployment's prices: the defaults, overridden by the `PRICING` var's JSON. */
export function loadPricing(json: string | undefined): Pricing {
  if (!json) return defaultPricing;
  const parsed = zPricingOverride.parse(JSON.parse(json));
  const templates = { ...defaultPricing.templates };
  for (const [name, spec] of Object.entries(parsed.templates ?? {})) {
    templates[name] = { vcpu: spec.vcpu, memoryMib: spec.memory_mib, languages: spec.languages };
  }
  return {
    cpuUsdPerSecond: parsed.cpu_usd_per_s ?? defaultPricing.cpuUsdPerSecond,
    memUsdPerGibSecond: parsed.mem_usd_per_gib_s ?? defaultPricing.memUsdPerGibSecond,
    startupAllowanceMs: parsed.startup_allowance_ms ?? defaultPricing.startupAllowanceMs,
    templates,
  };
}

const PICOS_PER_USD = 10n ** 12n;
const PICOS_PER_MICRO = 10n ** 6n;

/** A decimal USD string as an exact number of 1e-12 dollars. */
function usdToPicos(usd: string): bigint {
  const [whole, fraction = ""] = usd.split(".");
  return BigInt(whole ?? "0") * PICOS_PER_USD + BigInt(fraction.padEnd(12, "0").slice(0, 12));
}

/** Price of one second of the template, in 1e-12 USD, rounded up. */
export function ratePicosPerSecond(pricing: Pricing, spec: TemplateSpec): bigint {
  // vCPU may be fractional: work in thousandths of a vCPU, and memory in MiB over 1024.
  const milliVcpu = BigInt(Math.round(spec.vcpu * 1000));
  const numerator =
    milliVcpu * usdToPicos(pricing.cpuUsdPerSecond) * 1024n + BigInt(spec.memoryMib) * usdToPicos(pricing.memUsdPerGibSecond) * 1000n;
  return ceilDiv(numerator, 1024n * 1000n);
}

/** Cost of `seconds` whole seconds at a rate, rounded up to a whole micro-dollar. */
export function costMicros(rate: bigint, seconds: number): bigint {
  return ceilDiv(rate * BigInt(seconds), PICOS_PER_MICRO);
}

/** The worst case reserved at submit: `ceil((timeout + startup allowance) / 1 s)` seconds. */
export function reserveMicros(pricing: Pricing, rate: bigint, timeoutMs: number): bigint {
  return costMicros(rate, Math.ceil((timeoutMs + pricing.startupAllowanceMs) / 1000));
}

/** What a run cost: its sandbox's lifetime in whole seconds, rounded up; nothing if none started. */
export function actualCostMicros(rate: bigint, sandboxMs: number | null): bigint {
  if (sandboxMs === null) return 0n;
  return costMicros(rate, Math.max(1, Math.ceil(sandboxMs / 1000)));
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
