import { costsQueryString } from "./client.js";
import { errorFrom, fetchOrThrow } from "./errors.js";
import type {
  AdminGrouping,
  CostReport,
  CostsQuery,
  DashboardLink,
  Key,
  KeyCreateInput,
  KeyPatchInput,
  KeyWithSecrets,
  RotatedSecret,
} from "./types.js";

export interface AdminClientOptions {
  url: string;
  /** The deployment's `ADMIN_TOKEN`. */
  token: string;
}

/** The `/admin` routes, with `Authorization: Bearer <ADMIN_TOKEN>`. Every method throws a `RunledgerError` on failure. */
export class RunledgerAdminClient {
  constructor(private readonly options: AdminClientOptions) {}

  private async send(method: string, path: string, json?: unknown, extraHeaders: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, ...extraHeaders };
    if (json !== undefined) headers["content-type"] = "application/json";
    const base = this.options.url.replace(/\/+$/, "");
    const res = await fetchOrThrow(`${base}${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
    if (!res.ok) throw await errorFrom(res);
    return res;
  }

  private async call<T>(method: string, path: string, json?: unknown): Promise<T> {
    return (await (await this.send(method, path, json)).json()) as T;
  }

  /** A new key; the only answer that carries its secret and webhook secret. */
  createKey(body: KeyCreateInput): Promise<KeyWithSecrets> {
    return this.call<KeyWithSecrets>("POST", "/admin/keys", body);
  }

  async listKeys(): Promise<Key[]> {
    return (await this.call<{ data: Key[] }>("GET", "/admin/keys")).data;
  }

  getKey(id: string): Promise<Key> {
    return this.call<Key>("GET", `/admin/keys/${encodeURIComponent(id)}`);
  }

  /** Budget, period, limits and templates (`"all"` lifts a template list); applies to the next submit. */
  updateKey(id: string, patch: KeyPatchInput): Promise<Key> {
    return this.call<Key>("PATCH", `/admin/keys/${encodeURIComponent(id)}`, patch);
  }

  /** A new secret; the previous one keeps working until `previous_valid_until` (24 h). */
  rotateKey(id: string): Promise<RotatedSecret> {
    return this.call<RotatedSecret>("POST", `/admin/keys/${encodeURIComponent(id)}/rotate`);
  }

  /** Revokes the key; its queued executions are canceled. Returns the key with `revoked_at`. */
  revokeKey(id: string): Promise<Key> {
    return this.call<Key>("DELETE", `/admin/keys/${encodeURIComponent(id)}`);
  }

  /** A signed link to any key's cost dashboard, working for `expiresIn` seconds (60 to 86400; 15 min by default). */
  dashboardLink(id: string, options: { expiresIn?: number } = {}): Promise<DashboardLink> {
    return this.call<DashboardLink>(
      "POST",
      `/admin/keys/${encodeURIComponent(id)}/dashboard-link`,
      options.expiresIn === undefined ? undefined : { expires_in: options.expiresIn },
    );
  }

  getCosts(query: CostsQuery<AdminGrouping> = {}): Promise<CostReport> {
    return this.call<CostReport>("GET", `/admin/costs${costsQueryString(query)}`);
  }

  async getCostsCsv(query: CostsQuery<AdminGrouping> = {}): Promise<string> {
    return (await this.send("GET", `/admin/costs${costsQueryString(query)}`, undefined, { accept: "text/csv" })).text();
  }
}
