/**
 * Secrets at rest: AES-256-GCM under the deployment's key-encryption key, bound to the row they
 * belong to (the key id is the additional data), stored as `v1.<iv>.<ciphertext>` in base64.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type AesKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export class SecretBox {
  private constructor(private readonly key: AesKey) {}

  static async fromBase64(kek: string): Promise<SecretBox> {
    const raw = Uint8Array.from(atob(kek), (c) => c.charCodeAt(0));
    return new SecretBox(await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]));
  }

  async seal(plaintext: string, boundTo: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(boundTo) },
      this.key,
      encoder.encode(plaintext),
    );
    return `v1.${b64(iv)}.${b64(new Uint8Array(sealed))}`;
  }

  async open(stored: string, boundTo: string): Promise<string> {
    const [version, iv, data] = stored.split(".");
    if (version !== "v1" || !iv || !data) throw new Error("unknown secret format");
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: unb64(iv), additionalData: encoder.encode(boundTo) },
      this.key,
      unb64(data),
    );
    return decoder.decode(plain);
  }
}

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function unb64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
