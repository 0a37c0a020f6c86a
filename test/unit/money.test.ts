import { describe, expect, test } from "vitest";
import { microsToUsd, usdToMicros } from "../../functions/money.js";
import {
  actualCostMicros,
  costMicros,
  defaultPricing,
  loadPricing,
  ratePicosPerSecond,
  reserveMicros,
} from "../../functions/services/pricing.js";

describe("money on the wire", () => {
  test("micro-dollars print with six places", () => {
    expect(microsToUsd(148n)).toBe("0.000148");
    expect(microsToUsd(0n)).toBe("0.000000");
    expect(microsToUsd(12_500_000n)).toBe("12.500000");
  });

  test("inputs are strings or numbers with at most six places, never floats at rest", () => {
    expect(usdToMicros("0.000148")).toBe(148n);
    expect(usdToMicros(12.5)).toBe(12_500_000n);
    expect(usdToMicros(0.1)).toBe(100_000n);
    expect(usdToMicros("25")).toBe(25_000_000n);
    expect(usdToMicros("1.1234567")).toBeNull();
    expect(usdToMicros(1e-7)).toBeNull();
    expect(usdToMicros(-1)).toBeNull();
    expect(usdToMicros("1e3")).toBeNull();
    expect(usdToMicros("")).toBeNull();
  });
});

describe("pricing (E2B's published rates, hand-computed)", () => {
  const interpreter = defaultPricing.templates["code-interpreter-v1"];
  const base = defaultPricing.templates.base;
  if (!interpreter || !base) throw new Error("default templates missing");

  test("a second of code-interpreter-v1 (2 vCPU, 2 GiB) is 2×14 + 2×4.5 = 37 micro-dollars", () => {
    expect(ratePicosPerSecond(defaultPricing, interpreter)).toBe(37_000_000n);
  });

  test("a second of base (2 vCPU, 0.5 GiB) is 2×14 + 0.5×4.5 = 30.25 micro-dollars, billed up", () => {
    const rate = ratePicosPerSecond(defaultPricing, base);
    expect(rate).toBe(30_250_000n);
    expect(costMicros(rate, 1)).toBe(31n);
    expect(costMicros(rate, 4)).toBe(121n);
  });

  test("the reservation is the worst case: timeout plus the startup allowance, in whole seconds", () => {
    const rate = ratePicosPerSecond(defaultPricing, interpreter);
    expect(reserveMicros(defaultPricing, rate, 30_000)).toBe(1147n);
    expect(reserveMicros(defaultPricing, rate, 1_000)).toBe(74n);
    expect(reserveMicros(defaultPricing, rate, 1_500)).toBe(111n);
  });

  test("a run costs its sandbox lifetime rounded up; a sub-second run one second; no sandbox nothing", () => {
    const rate = ratePicosPerSecond(defaultPricing, interpreter);
    expect(actualCostMicros(rate, 212)).toBe(37n);
    expect(actualCostMicros(rate, 0)).toBe(37n);
    expect(actualCostMicros(rate, 2_001)).toBe(111n);
    expect(actualCostMicros(rate, null)).toBe(0n);
  });

  test("a deployment can override rates and sizes", () => {
    const pricing = loadPricing(
      JSON.stringify({ cpu_usd_per_s: "0.00002", templates: { big: { vcpu: 8, memory_mib: 8192, languages: ["python"] } } }),
    );
    const big = pricing.templates.big;
    if (!big) throw new Error("override missing");
    expect(ratePicosPerSecond(pricing, big)).toBe(8n * 20_000_000n + 8n * 4_500_000n);
    expect(pricing.templates["code-interpreter-v1"]).toBeDefined();
    expect(() => loadPricing('{"cpu_usd_per_s": 1}')).toThrow();
  });
});
