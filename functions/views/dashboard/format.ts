import { microsToUsd, usdToMicros } from "../../money.js";

/** Display helpers for the dashboard. Money stays a 6-place decimal string; only the chart scales it. */
export const usd = (amount: string) => `$${amount}`;

export const micros = (amount: string): number => Number(usdToMicros(amount) ?? 0n);

/** An axis label: the amount with trailing zeros dropped, but at least two places ("$0.00005", "$1.50"). */
export function axisUsd(amountMicros: number): string {
  const text = microsToUsd(BigInt(Math.round(amountMicros)));
  const [whole, fraction = ""] = text.split(".");
  return `$${whole}.${fraction.replace(/0+$/, "").padEnd(2, "0")}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "2026-11-22" as "Nov 22". */
export function shortDay(day: string): string {
  return `${MONTHS[Number(day.slice(5, 7)) - 1] ?? ""} ${Number(day.slice(8, 10))}`;
}

/** An RFC 3339 time as "2026-11-22 10:04:05 UTC". */
export const utcTime = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

const TICKS = 4;

/** A round step (1, 2 or 5 × 10ⁿ micro-dollars) that divides `max` into about `TICKS` parts. */
export function niceStep(max: number): number {
  if (max <= 0) return 1;
  const raw = max / TICKS;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  return Math.max(1, Math.round(step));
}
