/**
 * A small Kubernetes API client for one context: JSON requests over `node:https`, authenticated by
 * `@kubernetes/client-node` (`KubeConfig.applyToHTTPSOptions`: CA, client certificates, bearer tokens,
 * exec plugins and auth providers, proxies, `insecure-skip-tls-verify`), plus API discovery.
 *
 * Why not `KubernetesObjectApi`: it (de)serializes through the client's typed models, which turns
 * timestamps into `Date`s, renames fields and drops fields its models do not know, and it reports
 * failures without the `Status` causes that conflict reports need. Server-side apply must send exactly
 * the generated object and read exactly what the server answers, so requests are made here and only
 * the authentication comes from the client library.
 */
import { request as httpRequest, type Agent as HttpAgent } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { ClusterError, KubeApiError, type KubeStatus, redact } from "./errors.js";
import type { ContextRef, Kubeconfig } from "./kubeconfig.js";

/** A resource type as API discovery lists it (`APIResourceList.resources[]`). */
export interface ApiResource {
  /** Plural resource name used in paths, e.g. `virtualservices`. */
  name: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  /** `group/version` (`v1` for the core group). */
  groupVersion: string;
  group: string;
  version: string;
}

/** An API group as `/apis` lists it. */
export interface ApiGroup {
  name: string;
  versions: string[];
  preferredVersion: string;
}

/** Options of a client. */
export interface KubeClientOptions {
  /** Per-request timeout in milliseconds. @default 30000 */
  timeoutMs?: number;
}

/** Options of one request. */
export interface RequestInit {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** @default "application/json" when there is a body */
  contentType?: string;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "EPROTO",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

/** Talks to the API server of one kubeconfig context. */
export class KubeClient {
  private agent: HttpAgent | undefined;
  private agentKey = "";
  private readonly resourceLists = new Map<string, Promise<ApiResource[] | undefined>>();
  private groups: Promise<ApiGroup[]> | undefined;

  private constructor(
    readonly context: ContextRef,
    private readonly kc: KubeConfig,
    private readonly secrets: string[],
    private readonly timeoutMs: number,
  ) {}

  /** A client for `context` of the kubeconfig. Does not contact the server. */
  static forContext(kubeconfig: Kubeconfig, context: ContextRef, opts: KubeClientOptions = {}): KubeClient {
    return new KubeClient(context, kubeconfig.forContext(context.name), kubeconfig.secrets(), opts.timeoutMs ?? 30_000);
  }

  /** Scrubs secrets from a message (see {@link redact}). */
  redact(message: string): string {
    return redact(message, this.secrets);
  }

  /**
   * One request. `path` is an API path (`/apis/apps/v1/deployments`); the context's server URL (and
   * any path prefix it has) is put in front.
   * @throws KubeApiError for a non-2xx answer; ClusterError(`unreachable`/`unauthorized`) when the
   *   server cannot be reached or credentials cannot be obtained.
   */
  async request<T = any>(method: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const opts: RequestOptions = {};
    try {
      await this.kc.applyToHTTPSOptions(opts);
    } catch (e) {
      const msg = this.redact((e as Error).message);
      if (/HTTP protocol is not allowed/.test(msg))
        throw new ClusterError("kubeconfig", `context "${this.context.name}" uses a plain http:// server without insecure-skip-tls-verify: ${msg}`);
      throw new ClusterError("unauthorized", `cannot get credentials for context "${this.context.name}": ${msg}`);
    }
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new ClusterError("kubeconfig", `context "${this.context.name}" has no cluster`);
    const url = new URL(cluster.server.replace(/\/+$/, "") + path);
    url.username = "";
    url.password = "";
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body);
    const headers: Record<string, string> = { Accept: "application/json", "User-Agent": "unimesh" };
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : String(v);
    if (body !== undefined) {
      headers["Content-Type"] = init.contentType ?? "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(body));
    }
    // Reuse one agent (keep-alive) as long as the TLS material is the same; tokens are per request.
    const key = [opts.ca, opts.cert, opts.key, opts.rejectUnauthorized, opts.servername].map((x) => (x === undefined ? "" : String(x))).join("|");
    if (!this.agent || key !== this.agentKey) {
      this.agent = opts.agent as HttpAgent | undefined;
      this.agentKey = key;
    }
    const send = url.protocol === "http:" ? httpRequest : httpsRequest;
    const shown = `${this.context.server}${path}`;
    return await new Promise((resolvePromise, reject) => {
      const req = send(url, { method, headers, agent: this.agent, ...(opts.auth ? { auth: opts.auth } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (e) => reject(this.networkError(e, shown)));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          let parsed: unknown = text;
          if (/json/.test(String(res.headers["content-type"] ?? "")) || /^\s*[{[]/.test(text)) {
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = text;
            }
          }
          if (status >= 200 && status < 300) return resolvePromise({ status, body: parsed as T });
          reject(this.apiError(status, method, path, parsed));
        });
      });
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(Object.assign(new Error(`no answer within ${Math.round(this.timeoutMs / 1000)}s`), { code: "ETIMEDOUT" }));
      });
      req.on("error", (e) => reject(this.networkError(e, shown)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  private networkError(e: Error & { code?: string }, shown: string): Error {
    if (e instanceof KubeApiError || e instanceof ClusterError) return e;
    const code = e.code ?? "";
    const what = NETWORK_CODES.has(code) || /socket|tls|ssl|certificate|timed? ?out|connect/i.test(e.message) ? "cannot reach" : "request failed:";
    return new ClusterError("unreachable", this.redact(`${what} ${shown} (context "${this.context.name}"): ${e.message}`));
  }

  private apiError(status: number, method: string, path: string, body: unknown): Error {
    const st = body && typeof body === "object" && (body as KubeStatus).kind === "Status" ? (body as KubeStatus) : undefined;
    const detail = st?.message ?? (typeof body === "string" ? body.trim().slice(0, 200) : "");
    if (status === 401)
      return new ClusterError(
        "unauthorized",
        `the API server of context "${this.context.name}" (${this.context.server}) rejected its credentials (401 Unauthorized); renew them (e.g. log in again) and retry`,
      );
    const msg = this.redact(`${method} ${path}: ${status}${st?.reason ? ` ${st.reason}` : ""}${detail ? `: ${detail}` : ""}`);
    return new KubeApiError(status, method, path, st, msg);
  }

  /** GET, parsed. */
  async get<T = any>(path: string, query?: RequestInit["query"]): Promise<T> {
    return (await this.request<T>("GET", path, { query })).body;
  }

  /** GET, or undefined on 404. */
  async getOptional<T = any>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Every item of a list, following `continue` tokens (pages of 500). */
  async list<T = any>(path: string, query: RequestInit["query"] = {}): Promise<T[]> {
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const page = await this.get<{ items?: T[]; metadata?: { continue?: string } }>(path, { ...query, limit: 500, continue: cont });
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return items;
  }

  /** `gitVersion` of `/version`, e.g. `v1.31.2`. Also the reachability check. */
  async serverVersion(): Promise<string> {
    const v = await this.get<{ gitVersion?: string; major?: string; minor?: string }>("/version");
    return v.gitVersion ?? `v${v.major}.${v.minor}`;
  }

  /** The API groups (`/apis`), plus the core group as `""`. Cached. */
  apiGroups(): Promise<ApiGroup[]> {
    return (this.groups ??= (async () => {
      const list = await this.get<{ groups?: { name: string; versions: { version: string }[]; preferredVersion?: { version: string } }[] }>("/apis");
      const groups = (list.groups ?? []).map((g) => ({
        name: g.name,
        versions: g.versions.map((v) => v.version),
        preferredVersion: g.preferredVersion?.version ?? g.versions[0]?.version,
      }));
      return [{ name: "", versions: ["v1"], preferredVersion: "v1" }, ...groups];
    })());
  }

  /** The resources of a group/version (`v1`, `apps/v1`), or undefined when it is not served. Cached. */
  resources(groupVersion: string): Promise<ApiResource[] | undefined> {
    let p = this.resourceLists.get(groupVersion);
    if (!p) {
      const path = groupVersion.includes("/") ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
      const [group, version] = splitApiVersion(groupVersion);
      p = this.getOptional<{ resources?: Omit<ApiResource, "groupVersion" | "group" | "version">[] }>(path).then((l) =>
        l ? (l.resources ?? []).filter((r) => !r.name.includes("/")).map((r) => ({ ...r, verbs: r.verbs ?? [], groupVersion, group, version })) : undefined,
      );
      p.catch(() => this.resourceLists.delete(groupVersion));
      this.resourceLists.set(groupVersion, p);
    }
    return p;
  }

  /** The resource serving `kind` in `apiVersion`, or undefined when the cluster does not serve it. */
  async resourceFor(apiVersion: string, kind: string): Promise<ApiResource | undefined> {
    return (await this.resources(apiVersion))?.find((r) => r.kind === kind);
  }

  /** API path of an object (`name` omitted: its collection in `namespace`, or cluster-wide when undefined). */
  static path(res: ApiResource, namespace: string | undefined, name?: string): string {
    const base = res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`;
    const ns = res.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
    return `${base}${ns}/${res.name}${name !== undefined ? `/${encodeURIComponent(name)}` : ""}`;
  }
}

/** `networking.istio.io/v1` → [`networking.istio.io`, `v1`]; `v1` → [``, `v1`]. */
export function splitApiVersion(apiVersion: string): [group: string, version: string] {
  const i = apiVersion.lastIndexOf("/");
  return i < 0 ? ["", apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}
