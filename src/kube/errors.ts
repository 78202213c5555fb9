/**
 * Errors of the cluster layer and the one place secrets are scrubbed from messages.
 *
 * Every message that leaves `src/kube` goes through {@link redact} with the secrets of the loaded
 * kubeconfig: tokens, passwords, client keys, exec-plugin environment values and long arguments,
 * auth-provider settings. Messages name URLs (without credentials), context names, objects and
 * field paths, never credentials.
 */
import { UnimeshError } from "../api/diagnostics.js";

/** Why a cluster operation failed, as a stable code (also used by `--output json`). */
export type ClusterErrorCode =
  /** The kubeconfig cannot be read, or names no such context. */
  | "kubeconfig"
  /** The API server cannot be reached (DNS, connection refused, TLS, timeout). */
  | "unreachable"
  /** Credentials could not be obtained (exec plugin, token file) or were rejected (401). */
  | "unauthorized"
  /** RBAC refused a request (403). */
  | "forbidden"
  /** A kind unimesh would apply is not served: its CRD is missing (install the mesh). */
  | "missing-crd"
  /** A namespace the objects live in does not exist (unimesh never creates namespaces). */
  | "missing-namespace"
  /** An existing object unimesh only annotates (a Service, a Namespace) does not exist. */
  | "missing-object"
  /** A request unimesh refuses to carry out (e.g. `--prune` with nothing generated). */
  | "refused"
  /** `--mesh auto` found no mesh it can translate for in this cluster. */
  | "mesh"
  /** Any other API error (validation, admission webhook, server error). */
  | "api";

/** A failure of one cluster; the others go on. Its message is already redacted. */
export class ClusterError extends UnimeshError {
  override name = "ClusterError";
  constructor(
    readonly code: ClusterErrorCode,
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

/** A Kubernetes `Status` object (the body of every API error). */
export interface KubeStatus {
  kind?: "Status";
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

/** A non-2xx answer of the API server. */
export class KubeApiError extends UnimeshError {
  override name = "KubeApiError";
  constructor(
    readonly status: number,
    readonly method: string,
    /** Request path without query (no secrets: paths name resources only). */
    readonly path: string,
    readonly body: KubeStatus | undefined,
    message: string,
  ) {
    super(message);
  }

  /** The `reason` of the Status (`NotFound`, `Conflict`, `Invalid`, `Forbidden`, ...). */
  get reason(): string | undefined {
    return this.body?.reason;
  }
}

/** Text that looks like a credential even when the kubeconfig did not list it (JWTs, bearer headers). */
const CREDENTIAL_PATTERNS: RegExp[] = [
  /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  /(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /(token|password|secret|client-key-data|access-token|refresh-token|id-token)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi,
];

/** A PEM private key block (`-----BEGIN [EC |RSA ]PRIVATE KEY-----` ... its end, or the end of the text). */
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

/**
 * What must never be printed of the Secrets among `objects` (e.g. `apply --trust-dir`'s CA Secrets), for
 * {@link redact}: every `data` value (base64), its decoded text and each of its lines (a PEM's body lines),
 * and every `stringData` value and its lines.
 */
export function secretValues(objects: readonly { apiVersion: string; kind: string }[]): string[] {
  const out: string[] = [];
  const text = (t: string) => {
    out.push(t);
    for (const line of t.split(/\r?\n/)) if (line.trim().length >= 8) out.push(line.trim());
  };
  for (const o of objects as readonly { apiVersion: string; kind: string; data?: unknown; stringData?: unknown }[]) {
    if (o.apiVersion !== "v1" || o.kind !== "Secret") continue;
    for (const v of Object.values((o.data ?? {}) as Record<string, unknown>)) {
      if (typeof v !== "string") continue;
      out.push(v);
      text(Buffer.from(v, "base64").toString("utf8"));
    }
    for (const v of Object.values((o.stringData ?? {}) as Record<string, unknown>)) if (typeof v === "string") text(v);
  }
  return out;
}

/**
 * Removes secrets from a message: every known secret string (longest first), PEM private key blocks and
 * anything shaped like a credential, replaced by `<redacted>`.
 */
export function redact(message: string, secrets: readonly string[] = []): string {
  let out = message;
  for (const s of [...secrets].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(s).join("<redacted>");
  out = out.replace(PRIVATE_KEY_BLOCK, "<redacted>");
  out = out.replace(CREDENTIAL_PATTERNS[0], "<redacted>");
  out = out.replace(CREDENTIAL_PATTERNS[1], (_m, scheme: string) => `${scheme} <redacted>`);
  out = out.replace(CREDENTIAL_PATTERNS[2], (_m, key: string, sep: string) => `${key}${sep}<redacted>`);
  return out;
}
