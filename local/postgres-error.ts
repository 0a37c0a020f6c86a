/** Why the embedded Postgres cannot start and what to do about it, in one line. */
export class LocalPostgresError extends Error {
  constructor(reason: string, fix: string) {
    super(`the embedded Postgres cannot start: ${oneLine(reason)}; ${oneLine(fix)}`);
    this.name = "LocalPostgresError";
  }
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();
