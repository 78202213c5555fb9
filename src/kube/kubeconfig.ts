/**
 * The user's kubeconfig, loaded by `@kubernetes/client-node` exactly as it loads it (contexts, exec
 * plugins, tokens, client certificates, auth providers, proxies), imported lazily so that commands that
 * never talk to a cluster never load it.
 *
 * Which file(s): `--kubeconfig PATH`, else every file of `KUBECONFIG` (path-list, missing files
 * skipped, as kubectl does), else `~/.kube/config`, else the in-cluster service account. Merging
 * several files follows kubectl: the first file that defines a cluster, user or context (or the
 * current context) wins.
 *
 * Nothing here prints or returns a credential: {@link Kubeconfig.secrets} exists only so error
 * messages can be scrubbed ({@link redact}).
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { UsageError } from "../api/diagnostics.js";
import { ClusterError, redact } from "./errors.js";

/** Where to read the kubeconfig from. */
export interface KubeconfigSource {
  /** `--kubeconfig`: one file, which must exist. Relative to `cwd`. */
  kubeconfig?: string;
  /** Environment (for `KUBECONFIG`, `HOME`, `KUBERNETES_SERVICE_HOST`). */
  env: Record<string, string | undefined>;
  cwd: string;
}

/** A context of the kubeconfig, without anything secret. */
export interface ContextRef {
  name: string;
  cluster: string;
  /** API server URL without user info, query or fragment. */
  server: string;
  /** The context's default namespace, when set. */
  namespace?: string;
}

/** The module, loaded once per process on first use. */
let clientModule: Promise<typeof import("@kubernetes/client-node")> | undefined;

/**
 * Loads `@kubernetes/client-node` (lazily: only cluster commands pay for it). It is an optional
 * dependency of unimesh: installed by default (`npm install unimesh`, `npx unimesh`), left out by
 * `npm install --omit=optional` for those who only translate.
 * @throws ClusterError(`kubeconfig`) saying how to install it when it is missing.
 */
export function loadClientModule(): Promise<typeof import("@kubernetes/client-node")> {
  clientModule ??= import("@kubernetes/client-node").catch((e: NodeJS.ErrnoException) => {
    clientModule = undefined;
    if (e?.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes("kubernetes/client-node")) {
      throw new ClusterError(
        "kubeconfig",
        "the cluster commands need @kubernetes/client-node, an optional dependency of unimesh that is not installed (npm install --omit=optional leaves it out): install it with npm install @kubernetes/client-node",
      );
    }
    throw e;
  });
  return clientModule;
}

/** A loaded kubeconfig and the contexts it offers. */
export class Kubeconfig {
  private constructor(
    private readonly kc: KubeConfig,
    private readonly module: typeof import("@kubernetes/client-node"),
    /** The files read (for messages). */
    readonly files: string[],
  ) {}

  /**
   * Reads the kubeconfig.
   * @throws ClusterError(`kubeconfig`) when no kubeconfig can be found or a file is not a kubeconfig;
   *   the message never quotes the file's content.
   */
  static async load(src: KubeconfigSource): Promise<Kubeconfig> {
    const k8s = await loadClientModule();
    const kc = new k8s.KubeConfig();
    let files: string[];
    if (src.kubeconfig) {
      const f = resolve(src.cwd, src.kubeconfig);
      if (!existsSync(f)) throw new ClusterError("kubeconfig", `kubeconfig ${src.kubeconfig} does not exist`);
      files = [f];
    } else if (src.env.KUBECONFIG) {
      files = src.env.KUBECONFIG.split(delimiter)
        .filter(Boolean)
        .map((f) => resolve(src.cwd, f))
        .filter((f) => existsSync(f));
      if (files.length === 0) throw new ClusterError("kubeconfig", `none of the files in KUBECONFIG exists (${src.env.KUBECONFIG})`);
    } else {
      const home = src.env.HOME ?? src.env.USERPROFILE ?? homedir();
      const f = join(home, ".kube", "config");
      files = existsSync(f) ? [f] : [];
    }
    if (files.length === 0) {
      if (src.env.KUBERNETES_SERVICE_HOST) {
        try {
          kc.loadFromCluster();
        } catch (e) {
          throw new ClusterError("kubeconfig", `cannot use the in-cluster service account: ${redact((e as Error).message)}`);
        }
        return new Kubeconfig(kc, k8s, ["<in-cluster>"]);
      }
      throw new ClusterError("kubeconfig", "no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config");
    }
    for (const f of files) {
      const one = new k8s.KubeConfig();
      try {
        one.loadFromFile(f);
      } catch (e) {
        // js-yaml errors quote the offending lines, which may hold a token: only say where.
        const line = (e as { mark?: { line?: number } }).mark?.line;
        const why = line !== undefined ? `invalid YAML at line ${line + 1}` : `not a valid kubeconfig (${redact((e as Error).message ?? "", secretsOf(one))})`;
        throw new ClusterError("kubeconfig", `cannot read kubeconfig ${f}: ${why}`);
      }
      merge(kc, one);
    }
    return new Kubeconfig(kc, k8s, files);
  }

  /** Every context, in file order. */
  contexts(): ContextRef[] {
    return this.kc.getContexts().map((c) => {
      const cluster = this.kc.getCluster(c.cluster);
      return { name: c.name, cluster: c.cluster, server: cluster ? safeServer(cluster.server) : "", ...(c.namespace ? { namespace: c.namespace } : {}) };
    });
  }

  /** The current context's name, if any. */
  currentContext(): string | undefined {
    return this.kc.getCurrentContext() || undefined;
  }

  /**
   * The contexts to work on: the named ones (in the order given, duplicates dropped), every context
   * (`all`), or the current one.
   * @throws UsageError for an unknown context name (the message lists the known ones) or when there is
   *   no current context and none was named.
   */
  select(opts: { contexts?: readonly string[]; all?: boolean }): ContextRef[] {
    const known = this.contexts();
    if (opts.all) {
      if (known.length === 0) throw new ClusterError("kubeconfig", `the kubeconfig (${this.files.join(", ")}) has no context`);
      return known;
    }
    const names = opts.contexts?.length ? [...new Set(opts.contexts)] : [];
    if (names.length === 0) {
      const cur = this.currentContext();
      if (!cur)
        throw new UsageError(`the kubeconfig has no current context; name one with --context (contexts: ${known.map((c) => c.name).join(", ") || "none"})`);
      names.push(cur);
    }
    return names.map((n) => {
      const c = known.find((k) => k.name === n);
      if (!c) throw new UsageError(`no context "${n}" in the kubeconfig; contexts: ${known.map((k) => k.name).join(", ") || "none"}`);
      if (!c.server) throw new ClusterError("kubeconfig", `context "${n}" names cluster "${c.cluster}", which the kubeconfig does not define`);
      return c;
    });
  }

  /** A KubeConfig whose current context is `context` (shares the loaded clusters and users). */
  forContext(context: string): KubeConfig {
    const kc = new this.module.KubeConfig();
    kc.loadFromOptions({ clusters: this.kc.clusters, users: this.kc.users, contexts: this.kc.contexts, currentContext: context });
    return kc;
  }

  /**
   * Strings to scrub from messages: tokens, passwords, key data, auth-provider settings, exec-plugin
   * environment values and long arguments. Never print these; only pass them to {@link redact}.
   */
  secrets(): string[] {
    return secretsOf(this.kc);
  }
}

/** See {@link Kubeconfig.secrets}. */
function secretsOf(kc: KubeConfig): string[] {
  const out: string[] = [];
  for (const u of kc.getUsers() ?? []) {
    for (const v of [u.token, u.password, u.keyData]) if (v) out.push(v);
    const ap = u.authProvider as { config?: Record<string, unknown> } | undefined;
    for (const v of Object.values(ap?.config ?? {})) if (typeof v === "string" && v.length >= 8) out.push(v);
    const exec = u.exec as { env?: { value?: string }[]; args?: string[] } | undefined;
    for (const e of exec?.env ?? []) if (e?.value) out.push(e.value);
    for (const a of exec?.args ?? []) {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : a;
      if (v.length >= 16) out.push(v);
    }
  }
  return out;
}

/** kubectl's merge rule: the first file that sets a value wins. */
function merge(into: KubeConfig, from: KubeConfig): void {
  if (!into.currentContext && from.currentContext) into.currentContext = from.currentContext;
  const add = <T extends { name: string }>(list: T[], items: T[]) => {
    for (const i of items) if (!list.some((x) => x.name === i.name)) list.push(i);
  };
  into.clusters ??= [];
  into.users ??= [];
  into.contexts ??= [];
  add(into.clusters, from.clusters ?? []);
  add(into.users, from.users ?? []);
  add(into.contexts, from.contexts ?? []);
}

/** The server URL without user info, query or fragment (what may be printed and written). */
export function safeServer(server: string): string {
  try {
    const u = new URL(server);
    u.username = "";
    u.password = "";
    u.search = "";
    u.hash = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return server.replace(/\/\/[^/@]*@/, "//").replace(/[?#].*$/, "");
  }
}
