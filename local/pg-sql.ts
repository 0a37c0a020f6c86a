import type { Socket } from "node:net";
import { type LoginTarget, loginToPostgres, PgServerError } from "./pg-login.js";
import { dataRowOf, errorOf, MessageReader, type PgMessage, queryMessage, terminateMessage } from "./pg-wire.js";

/**
 * A minimal Postgres client over TCP for the embedded Postgres's own set-up (roles, its database):
 * simple queries, rows as text. The application talks to Postgres only through the Neon driver.
 */
export class PgSql {
  private readonly reader = new MessageReader();
  private waiting: ((messages: PgMessage[] | Error) => void) | null = null;
  private inbox: PgMessage[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.inbox.push(...this.reader.push(chunk));
      this.deliver();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      // A FATAL error (say, no right to connect to the database) comes just before the close.
      const fatal = this.inbox.find((m) => m.type === "E");
      this.waiting?.(fatal ? serverError(fatal) : new Error("the connection to Postgres closed"));
    });
  }

  static async connect(target: LoginTarget): Promise<PgSql> {
    const { socket, greeting } = await loginToPostgres(target);
    const sql = new PgSql(socket);
    sql.inbox.push(...sql.reader.push(greeting));
    await sql.untilReady();
    return sql;
  }

  /** Runs one or more statements; returns the rows of the last result, each value as text. */
  async query(text: string): Promise<Array<Array<string | null>>> {
    this.socket.write(queryMessage(text));
    const messages = await this.untilReady();
    const failure = messages.find((m) => m.type === "E");
    if (failure) throw serverError(failure);
    let rows: Array<Array<string | null>> = [];
    for (const m of messages) {
      if (m.type === "T") rows = [];
      else if (m.type === "D") rows.push(dataRowOf(m.bytes));
    }
    return rows;
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.end(terminateMessage());
  }

  /** Every message up to and including the next ReadyForQuery. */
  private untilReady(): Promise<PgMessage[]> {
    return new Promise((resolve, reject) => {
      this.waiting = (messages) => (messages instanceof Error ? reject(messages) : resolve(messages));
      this.deliver();
    });
  }

  private deliver(): void {
    const ready = this.inbox.findIndex((m) => m.type === "Z");
    if (ready < 0 || !this.waiting) return;
    const messages = this.inbox.splice(0, ready + 1);
    const waiting = this.waiting;
    this.waiting = null;
    waiting(messages);
  }
}

function serverError(message: PgMessage): PgServerError {
  const { code, text } = errorOf(message.bytes);
  return new PgServerError(code, text, Buffer.from(message.bytes));
}

/** A string as an SQL literal. */
export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** A name as an SQL identifier. */
export const identifier = (name: string) => `"${name.replaceAll('"', '""')}"`;
