/** The step's inputs as the runner passes them: `INPUT_` + the name in upper case, spaces as underscores, hyphens kept. */
export class ActionError extends Error {}

export function input(name: string, fallback = ""): string {
  const value = process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`];
  return value === undefined || value.trim() === "" ? fallback : value.trim();
}

export function required(name: string): string {
  const value = input(name);
  if (!value) throw new ActionError(`the input '${name}' is required`);
  return value;
}

export function booleanInput(name: string, fallback: boolean): boolean {
  const value = input(name).toLowerCase();
  if (!value) return fallback;
  if (["true", "yes", "1", "on"].includes(value)) return true;
  if (["false", "no", "0", "off"].includes(value)) return false;
  throw new ActionError(`the input '${name}' must be true or false, not '${value}'`);
}

export function integerInput(name: string): number | undefined {
  const value = input(name);
  if (!value) return undefined;
  if (!/^\d+$/.test(value)) throw new ActionError(`the input '${name}' must be a whole number, not '${value}'`);
  return Number(value);
}
