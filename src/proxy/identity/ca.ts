/**
 * The built-in certificate authority (X.509 with `@peculiar/x509` on WebCrypto). It issues short-lived
 * ECDSA P-256 certificates whose only subject alternative name is the identity's SPIFFE ID (a URI SAN),
 * usable for both TLS server and client authentication, as Istio's and Linkerd's workload certificates.
 */
import "reflect-metadata"; // @peculiar/x509 (through tsyringe) needs the Reflect metadata API
import * as x509 from "@peculiar/x509";
import { webcrypto, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
/** Clock skew tolerated on notBefore. */
const BACKDATE_MS = 60_000;

/** An issued certificate with its key, in PEM. */
export interface IssuedCert {
  certPem: string;
  keyPem: string;
  /** The CA certificate that issued it (the trust bundle). */
  caPem: string;
  spiffeId: string;
  notBefore: Date;
  notAfter: Date;
  serial: string;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive
  return b.toString("hex");
}

async function keyPem(k: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", k as webcrypto.CryptoKey), "PRIVATE KEY");
}

/**
 * A certificate authority. Create with {@link CertificateAuthority.create}, {@link CertificateAuthority.load}
 * or, for a member of a virtual mesh (an intermediate CA under the virtual mesh's root),
 * {@link CertificateAuthority.fromPem}.
 */
export class CertificateAuthority {
  private constructor(
    private readonly cert: x509.X509Certificate,
    private readonly key: CryptoKey,
    readonly trustDomain: string,
    /** The root peers are verified against, when this CA is an intermediate (PEM); else the CA itself. */
    private readonly rootPem?: string,
  ) {}

  /**
   * The trust bundle every proxy verifies peers against (PEM): this CA's certificate, or the root of an
   * intermediate CA.
   */
  get certPem(): string {
    return this.rootPem ?? this.cert.toString("pem");
  }

  /** The issuing CA's own certificate (PEM): sent after each issued certificate when it is an intermediate. */
  get issuerPem(): string {
    return this.cert.toString("pem");
  }

  /**
   * An intermediate CA from PEM text (`unimesh trust`: a member's `ca-cert.pem` and `ca-key.pem`, PKCS#8
   * ECDSA P-256) that issues for `trustDomain`; peers are verified against `rootPem` (`root-cert.pem`).
   * Issued certificates carry the intermediate after the leaf, so that peers trusting only the root verify them.
   */
  static async fromPem(certPem: string, keyPem: string, trustDomain: string, rootPem: string): Promise<CertificateAuthority> {
    const cert = new x509.X509Certificate(certPem);
    const der = x509.PemConverter.decodeFirst(keyPem);
    const key = (await webcrypto.subtle.importKey("pkcs8", der, ALG, false, ["sign"])) as unknown as CryptoKey;
    return new CertificateAuthority(cert, key, trustDomain, rootPem);
  }

  /** A new self-signed CA for `trustDomain`, valid `ttlMs` (default 1 year). */
  static async create(trustDomain: string, ttlMs = 365 * 24 * 3600_000): Promise<CertificateAuthority> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=unimesh root CA, O=${trustDomain}`,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + ttlMs),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        new x509.SubjectAlternativeNameExtension([{ type: "url", value: `spiffe://${trustDomain}` }]),
      ],
    });
    return new CertificateAuthority(cert, keys.privateKey, trustDomain);
  }

  /**
   * A CA from PEM files (certificate, and PKCS#8 ECDSA P-256 private key); with `rootFile`, an intermediate
   * under that root (see {@link CertificateAuthority.fromPem}).
   */
  static async load(certFile: string, keyFile: string, trustDomain: string, rootFile?: string): Promise<CertificateAuthority> {
    if (rootFile)
      return CertificateAuthority.fromPem(readFileSync(certFile, "utf8"), readFileSync(keyFile, "utf8"), trustDomain, readFileSync(rootFile, "utf8"));
    const cert = new x509.X509Certificate(readFileSync(certFile, "utf8"));
    const der = x509.PemConverter.decodeFirst(readFileSync(keyFile, "utf8"));
    const key = (await webcrypto.subtle.importKey("pkcs8", der, ALG, false, ["sign"])) as unknown as CryptoKey;
    return new CertificateAuthority(cert, key, trustDomain);
  }

  /** The CA's certificate and key as PEM (to share one CA between processes). */
  async exportPem(): Promise<{ certPem: string; keyPem: string }> {
    return { certPem: this.certPem, keyPem: await keyPem(this.key) };
  }

  /** Issues a certificate for a SPIFFE ID, valid `ttlMs` from now. */
  async issue(spiffeId: string, ttlMs: number): Promise<IssuedCert> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
    const now = Date.now();
    const notBefore = new Date(now - BACKDATE_MS);
    const notAfter = new Date(Math.min(now + ttlMs, this.cert.notAfter.getTime()));
    const s = serial();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: s,
      subject: `O=${this.trustDomain}`,
      issuer: this.cert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ALG,
      publicKey: keys.publicKey,
      signingKey: this.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: "url", value: spiffeId }], true),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert),
      ],
    });
    // An intermediate's certificate follows the leaf: peers trust the root only.
    const chain = this.rootPem ? cert.toString("pem") + "\n" + this.issuerPem : cert.toString("pem");
    return { certPem: chain, keyPem: await keyPem(keys.privateKey), caPem: this.certPem, spiffeId, notBefore, notAfter, serial: s };
  }
}

/** What {@link issuerMismatch} reads of a verified peer certificate (Node's `getPeerCertificate(true)`). */
export interface PeerCertificate {
  subjectaltname?: string;
  fingerprint256?: string;
  issuerCertificate?: PeerCertificate;
}

/**
 * Virtual mesh: why a verified peer certificate must still be refused, or undefined when it may pass. Every
 * member's intermediate chains to the one root, so the chain alone would let one member's CA issue
 * identities in another member's trust domain; the certificate that issued the peer's (the intermediate,
 * whose URI SAN is `spiffe://<trustDomain>` as `unimesh trust` and {@link CertificateAuthority.create}
 * write it) must be the CA of the trust domain of the peer's SPIFFE ID.
 */
export function issuerMismatch(peer: PeerCertificate | undefined): string | undefined {
  const id = spiffeFromSan(peer?.subjectaltname);
  if (!id) return "no SPIFFE ID";
  const td = id.slice("spiffe://".length).split("/")[0];
  const issuer = peer?.issuerCertificate;
  if (!issuer || issuer.fingerprint256 === peer?.fingerprint256) return `no issuing CA of ${id} in the chain`;
  const sans = (issuer.subjectaltname ?? "")
    .split(/,\s*/)
    .filter((x) => x.startsWith("URI:spiffe://"))
    .map((x) => x.slice(4));
  return sans.includes(`spiffe://${td}`)
    ? undefined
    : `the CA that issued ${id} is not the CA of trust domain ${td} (it is ${sans.length ? `the CA of ${sans.join(", ")}` : "no trust domain's CA"})`;
}

/** The SPIFFE ID in a peer certificate's `subjectaltname` (`URI:spiffe://...`), if exactly one. */
export function spiffeFromSan(subjectaltname: string | undefined): string | undefined {
  if (!subjectaltname) return undefined;
  const ids = subjectaltname
    .split(/,\s*/)
    .filter((s) => s.startsWith("URI:spiffe://"))
    .map((s) => s.slice(4));
  return ids.length === 1 ? ids[0] : undefined;
}
