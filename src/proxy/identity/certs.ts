/**
 * Certificates of the local identities: issued on first use, renewed at half their lifetime. Each
 * renewal bumps the identity's generation so that new upstream connections use the new certificate
 * and listeners get a new secure context; established connections are not interrupted.
 */
import { createSecureContext, type SecureContext } from "node:tls";
import type { CertificateAuthority, IssuedCert } from "./ca.js";

/** A current certificate of one identity. */
export interface IdentityCert extends IssuedCert {
  generation: number;
  secureContext: SecureContext;
}

/** Certificates by SPIFFE ID. */
export class CertStore {
  private readonly certs = new Map<string, IdentityCert>();
  private readonly pending = new Map<string, Promise<IdentityCert>>();
  private timer?: NodeJS.Timeout;
  private generation = 0;
  /** Called after a renewal (listeners update their secure context). */
  onRenew?: (c: IdentityCert) => void;

  constructor(
    readonly ca: CertificateAuthority,
    public ttlMs: number,
  ) {}

  /** The current certificate of an identity, issued now when there is none. */
  async get(spiffeId: string): Promise<IdentityCert> {
    const c = this.certs.get(spiffeId);
    if (c) return c;
    let p = this.pending.get(spiffeId);
    if (!p) {
      p = this.issue(spiffeId);
      this.pending.set(spiffeId, p);
    }
    return p;
  }

  /** The current certificate, if issued. */
  peek(spiffeId: string): IdentityCert | undefined {
    return this.certs.get(spiffeId);
  }

  private async issue(spiffeId: string): Promise<IdentityCert> {
    const issued = await this.ca.issue(spiffeId, this.ttlMs);
    const c: IdentityCert = {
      ...issued,
      generation: ++this.generation,
      secureContext: createSecureContext({ cert: issued.certPem, key: issued.keyPem, ca: issued.caPem }),
    };
    this.certs.set(spiffeId, c);
    this.pending.delete(spiffeId);
    this.scheduleRenewal();
    return c;
  }

  /** Renews every certificate past half its lifetime; schedules itself for the next one. */
  private scheduleRenewal(): void {
    clearTimeout(this.timer);
    let next = Infinity;
    for (const c of this.certs.values()) {
      const half = c.notBefore.getTime() + (c.notAfter.getTime() - c.notBefore.getTime()) / 2;
      next = Math.min(next, half);
    }
    if (next === Infinity) return;
    const delay = Math.max(1000, Math.min(next - Date.now(), 2 ** 31 - 1));
    this.timer = setTimeout(() => void this.renewDue(), delay).unref();
  }

  private async renewDue(): Promise<void> {
    const now = Date.now();
    for (const c of [...this.certs.values()]) {
      const half = c.notBefore.getTime() + (c.notAfter.getTime() - c.notBefore.getTime()) / 2;
      if (half <= now) this.onRenew?.(await this.issue(c.spiffeId));
    }
    this.scheduleRenewal();
  }

  /** Forces a renewal of every certificate now (admin and tests). */
  async renewAll(): Promise<void> {
    for (const id of [...this.certs.keys()]) this.onRenew?.(await this.issue(id));
  }

  list(): IdentityCert[] {
    return [...this.certs.values()];
  }

  close(): void {
    clearTimeout(this.timer);
  }
}
