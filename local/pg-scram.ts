import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

// SCRAM-SHA-256 (RFC 5802, RFC 7677) as Postgres and PgBouncer speak it, from the client's side.

const derive = promisify(pbkdf2);
const hmac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest();

interface ScramKeys {
  clientKey: Buffer;
  serverKey: Buffer;
}

/**
 * A role's salt and iteration count stay the same from one login to the next, so the costly
 * derivation (4096 rounds of PBKDF2) is done once per password, not once per connection.
 */
const derived = new Map<string, ScramKeys>();

async function keysFor(password: string, salt: Buffer, iterations: number): Promise<ScramKeys> {
  const id = createHash("sha256").update(password).update("\0").update(salt).update(`\0${iterations}`).digest("base64");
  const known = derived.get(id);
  if (known) return known;
  const salted = await derive(password, salt, iterations, 32, "sha256");
  const keys = { clientKey: hmac(salted, "Client Key"), serverKey: hmac(salted, "Server Key") };
  if (derived.size >= 64) derived.clear();
  derived.set(id, keys);
  return keys;
}

/** One SCRAM-SHA-256 exchange: the first message, the proof, then the server's signature checked. */
export class ScramClient {
  static readonly mechanism = "SCRAM-SHA-256";
  private readonly nonce = randomBytes(18).toString("base64");
  private readonly firstBare = `n=*,r=${this.nonce}`;
  private expectedSignature: Buffer | null = null;
  /** The role's salt and iteration count, as the server told them. */
  parameters: ScramParameters | null = null;

  constructor(private readonly password: string) {}

  /** client-first-message: no channel binding (the local proxy's connections are not TLS). */
  first(): string {
    return `n,,${this.firstBare}`;
  }

  /** client-final-message, from the server-first-message. */
  async final(serverFirst: string): Promise<string> {
    const fields = attributes(serverFirst);
    const nonce = fields.get("r");
    const salt = fields.get("s");
    const iterations = Number(fields.get("i"));
    if (!nonce?.startsWith(this.nonce) || !salt || !Number.isInteger(iterations) || iterations < 1) {
      throw new Error("SCRAM: the server's first message is malformed");
    }
    this.parameters = { salt: Buffer.from(salt, "base64"), iterations };
    const keys = await keysFor(this.password, this.parameters.salt, iterations);
    const finalBare = `c=biws,r=${nonce}`;
    const authMessage = `${this.firstBare},${serverFirst},${finalBare}`;
    const signature = hmac(sha256(keys.clientKey), authMessage);
    const proof = Buffer.from(keys.clientKey.map((byte, i) => byte ^ (signature[i] as number)));
    this.expectedSignature = hmac(keys.serverKey, authMessage);
    return `${finalBare},p=${proof.toString("base64")}`;
  }

  /** Throws unless the server proved that it knows the password too. */
  verify(serverFinal: string): void {
    const signature = Buffer.from(attributes(serverFinal).get("v") ?? "", "base64");
    if (
      !this.expectedSignature ||
      signature.length !== this.expectedSignature.length ||
      !timingSafeEqual(signature, this.expectedSignature)
    ) {
      throw new Error("SCRAM: the server's signature does not match");
    }
  }
}

export interface ScramParameters {
  salt: Buffer;
  iterations: number;
}

/** A stored SCRAM secret for `password` (what Postgres keeps in pg_authid, PgBouncer in its auth file). */
export async function scramSecret(
  password: string,
  { salt, iterations }: ScramParameters = { salt: randomBytes(16), iterations: 4096 },
): Promise<string> {
  const keys = await keysFor(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${sha256(keys.clientKey).toString("base64")}:${keys.serverKey.toString("base64")}`;
}

function attributes(message: string): Map<string, string> {
  return new Map(message.split(",").map((part) => [part.slice(0, 1), part.slice(2)]));
}
