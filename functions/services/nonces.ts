import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { requestNonces } from "../../db/schema/index.js";

export interface SignatureUse {
  /** The first use of this signature. */
  fresh: boolean;
  /** The `Idempotency-Key` that the first use carried (null: none). */
  boundIdempotencyKey: string | null;
  /** Whether the key is revoked, as the database has it now. */
  revoked: boolean;
}

/**
 * Records a use of a signature in one statement: the first use keeps the `Idempotency-Key` it came
 * with, since that header is not signed; a later use learns whether it is fresh and what the first
 * use carried. The key's revocation comes back with it, fresh from the database.
 */
export async function recordSignatureUse(
  db: Database,
  use: { keyId: string; signature: string; idempotencyKey: string | null; expiresAt: Date },
): Promise<SignatureUse> {
  const [row] = await db
    .insert(requestNonces)
    .values({ keyId: use.keyId, signature: use.signature, idempotencyKey: use.idempotencyKey, expiresAt: use.expiresAt })
    .onConflictDoUpdate({ target: [requestNonces.keyId, requestNonces.signature], set: { expiresAt: sql`${requestNonces.expiresAt}` } })
    .returning({
      fresh: sql<boolean>`(xmax = 0)`,
      boundIdempotencyKey: requestNonces.idempotencyKey,
      revoked: sql<boolean>`exists (select 1 from keys where id = ${use.keyId} and revoked_at is not null)`,
    });
  if (!row) throw new Error("recording a signature returned no row");
  return row;
}
