import { inject } from "vitest";
import type { HostStats } from "../../../local/sandbox-host/server.js";

/** A call to the stack's control server (test/support/test-stack.ts). */
export async function control<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${inject("controlUrl")}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface Counts {
  postgresStatements: number;
  host: HostStats;
}

export const counts = () => control<Counts>("GET", "/counts");
