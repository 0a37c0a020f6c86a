/** Money is integer micro-dollars at rest and a 6-place decimal string on the wire. */
const MICROS = 1_000_000n;

export function microsToUsd(micros: bigint): string {
  const sign = micros < 0n ? "-" : "";
  const abs = micros < 0n ? -micros : micros;
  return `${sign}${abs / MICROS}.${(abs % MICROS).toString().padStart(6, "0")}`;
}

/** Parses "12.5", "0.000148" or a JSON number with at most 6 decimal places; null when not money. */
export function usdToMicros(value: string | number): bigint | null {
  const text = typeof value === "number" ? numberToPlainString(value) : value;
  const match = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(text);
  if (!match) return null;
  return BigInt(match[1] as string) * MICROS + BigInt((match[2] ?? "").padEnd(6, "0"));
}

function numberToPlainString(value: number): string {
  if (!Number.isFinite(value) || value < 0) return "invalid";
  // The shortest round-trip form: 0.1 stays "0.1"; 1e-7 fails the pattern, as it should.
  return String(value);
}
