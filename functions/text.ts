/**
 * Text that Postgres and JSON can always hold. A request may not carry a NUL or a lone surrogate
 * in any string (it is refused, naming the field); a run's output may carry anything, and what
 * cannot be stored becomes U+FFFD.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is looked for.
const UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

/** The text with every NUL and lone surrogate replaced by U+FFFD. */
export function storableText(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, "\uFFFD") : text;
}

/** A JSON value with every string (and every object key) made storable. */
export function storableStrings<T>(value: T): T {
  if (typeof value === "string") return storableText(value) as T;
  if (Array.isArray(value)) return value.map((item) => storableStrings(item)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [storableText(key), storableStrings(item)])) as T;
  }
  return value;
}

/** The first string (or object key) in a JSON value that holds a NUL or a lone surrogate: its path and what is wrong. */
export function findUnsafeText(value: unknown, path: string[] = []): { field: string; message: string } | null {
  const at = (parts: string[]) => parts.join(".") || "(body)";
  if (typeof value === "string") return UNSAFE.test(value) ? { field: at(path), message: problem(value) } : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findUnsafeText(item, [...path, String(index)]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (UNSAFE.test(key)) return { field: at([...path, storableText(key)]), message: `its name ${problem(key)}` };
      const found = findUnsafeText(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

function problem(text: string): string {
  return text.includes("\u0000") ? "contains a NUL character" : "contains a lone UTF-16 surrogate";
}
