import type { Database } from "../../db/client.js";
import type { KeyRow } from "../../db/schema/index.js";
import { findKey } from "./keys.js";

/** A key row is served from this isolate's memory this long, and refreshed in the background after half of it. */
const FRESH_MS = 30_000;
/** An unknown key id is remembered as unknown this long, so that a flood of them is not a flood of queries. */
const UNKNOWN_MS = 5_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  row: KeyRow | null;
  at: number;
  refreshing: boolean;
}

const entries = new Map<string, Entry>();

/**
 * Keys as the signature check reads them: from memory for a short while (stale while it
 * revalidates). Nothing that spends money trusts this copy: the submit statement checks the key's
 * revocation, secret, limits and budget again under its lock, and every other signed request reads
 * the key's revocation with its nonce.
 */
export async function cachedKey(db: Database, id: string, background: (work: Promise<unknown>) => void): Promise<KeyRow | null> {
  const entry = entries.get(id);
  const age = entry ? Date.now() - entry.at : Number.POSITIVE_INFINITY;
  const lifetime = entry?.row ? FRESH_MS : UNKNOWN_MS;
  if (!entry || age >= lifetime) return freshKey(db, id);
  if (age >= lifetime / 2 && !entry.refreshing) {
    entry.refreshing = true;
    background(freshKey(db, id).catch(() => (entry.refreshing = false)));
  }
  return entry.row;
}

/** The key as the database has it now, remembered. */
export async function freshKey(db: Database, id: string): Promise<KeyRow | null> {
  const row = await findKey(db, id);
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  entries.set(id, { row, at: Date.now(), refreshing: false });
  return row;
}

/** This isolate forgets the key (it was changed here); other isolates' copies age out. */
export function forgetKey(id: string): void {
  entries.delete(id);
}
