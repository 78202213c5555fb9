/**
 * Shared trust for a virtual mesh: one root CA and one intermediate CA per member, generated with
 * `@peculiar/x509` on WebCrypto (already the built-in proxy's X.509 library: src/proxy/identity/ca.ts),
 * ECDSA P-256 everywhere (Linkerd requires P-256: `2-edge/tasks/generate-certificates.md`; Istio's CA and
 * the built-in proxy accept it).
 *
 * On disk (`unimesh trust init --dir DIR`; the directory is created 0700, every private key file 0600,
 * and no key is ever written to stdout, stderr or a log):
 * ```
 * DIR/root-cert.pem  DIR/root-key.pem (0600)
 * DIR/<member>/ca-cert.pem  ca-key.pem (0600)  cert-chain.pem (intermediate, then root)  root-cert.pem
 * ```
 * which is Istio's plug-in CA layout (`cacerts`: ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem;
 * istio.io `docs/tasks/security/cert-management/plugin-ca-cert/`). Linkerd's issuer is the same
 * intermediate (`linkerd-identity-issuer`: tls.crt, tls.key, ca.crt) with the root as trust anchor; the
 * built-in proxy reads `ca-cert.pem`/`ca-key.pem`/`root-cert.pem` (ProxyConfig `spec.identity`
 * caCertFile/caKeyFile/caRootFile; `unimesh up --trust-dir DIR` reads them itself). The mesh-specific objects come from the adapters' cluster hooks
 * (`ClusterHooks.trustObjects`), added by `apply --trust-dir DIR`.
 */
import "reflect-metadata"; // @peculiar/x509 (through tsyringe) needs the Reflect metadata API
import * as x509 from "@peculiar/x509";
import { createHash, randomBytes, webcrypto } from "node:crypto";
import * as fs from "node:fs";
import { join } from "node:path";
import { UsageError } from "../api/diagnostics.js";
import type { MemberTrust } from "../api/cluster.js";
import type { VirtualMeshMember } from "../api/generated/model.js";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
/** Validity of the root: 10 years. */
const ROOT_TTL_MS = 10 * 365 * 24 * 3600_000;
/** Validity of a member's intermediate: 1 year (Linkerd's docs issue theirs for 8760h). */
const INTERMEDIATE_TTL_MS = 365 * 24 * 3600_000;
const BACKDATE_MS = 60_000;
/** The marker of a trust directory, naming its VirtualMesh. */
export const TRUST_MARKER = ".unimesh-trust";

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString("hex");
}

async function keyPem(k: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", k as webcrypto.CryptoKey), "PRIVATE KEY");
}

/** SHA-256 fingerprint of a certificate (hex, colon-separated pairs, upper case), as openssl prints it. */
export function fingerprint(certPem: string): string {
  const der = Buffer.from(x509.PemConverter.decodeFirst(certPem));
  return createHash("sha256").update(der).digest("hex").toUpperCase().match(/../g)!.join(":");
}

/** Writes a file that holds a private key: created 0600 (never readable by others, even for an instant). */
function writeSecret(path: string, text: string): void {
  const tmp = `${path}.tmp-${randomBytes(4).toString("hex")}`;
  fs.writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
  fs.renameSync(tmp, path);
}

function writePublic(path: string, text: string): void {
  const tmp = `${path}.tmp-${randomBytes(4).toString("hex")}`;
  fs.writeFileSync(tmp, text, { mode: 0o644, flag: "wx" });
  fs.renameSync(tmp, path);
}

/** The root of a trust directory. */
interface Root {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

async function createRoot(vm: string): Promise<Root> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=root.${vm}.unimesh, O=unimesh virtual mesh ${vm}`,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + ROOT_TTL_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, key: keys.privateKey };
}

/**
 * An intermediate CA for a member, signed by the root: `CN=identity.linkerd.<trustDomain>` (the name
 * Linkerd's docs give the issuer), pathLen 0 (it signs workload certificates only), a URI SAN
 * `spiffe://<trustDomain>` (the trust domain it issues for).
 */
async function issueIntermediate(root: Root, m: VirtualMeshMember): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=identity.linkerd.${m.trustDomain}, O=unimesh member ${m.name}`,
    issuer: root.cert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(Math.min(now + INTERMEDIATE_TTL_MS, root.cert.notAfter.getTime())),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: root.key,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root.cert),
      new x509.SubjectAlternativeNameExtension([{ type: "url", value: `spiffe://${m.trustDomain}` }]),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
}

/** What `trust init` / `trust rotate` did for one member (no key material). */
export interface IssuedMember {
  member: string;
  trustDomain: string;
  subject: string;
  notAfter: string;
  fingerprint: string;
}

function describe(m: VirtualMeshMember, certPem: string): IssuedMember {
  const c = new x509.X509Certificate(certPem);
  return { member: m.name, trustDomain: m.trustDomain, subject: c.subject, notAfter: c.notAfter.toISOString(), fingerprint: fingerprint(certPem) };
}

async function writeMember(dir: string, root: Root, m: VirtualMeshMember): Promise<IssuedMember> {
  const d = join(dir, m.name);
  fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  const rootPem = root.cert.toString("pem");
  const inter = await issueIntermediate(root, m);
  writeSecret(join(d, "ca-key.pem"), inter.keyPem);
  writePublic(join(d, "ca-cert.pem"), inter.certPem);
  writePublic(join(d, "cert-chain.pem"), inter.certPem + rootPem);
  writePublic(join(d, "root-cert.pem"), rootPem);
  return describe(m, inter.certPem);
}

/**
 * Creates `dir` (0700) with a new root and an intermediate per member.
 * @throws UsageError when `dir` exists and is not empty (a root is never replaced by accident).
 */
export async function initTrust(
  dir: string,
  shown: string,
  vm: string,
  members: readonly VirtualMeshMember[],
): Promise<{ root: IssuedMember; members: IssuedMember[] }> {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length) {
    throw new UsageError(
      `--dir ${shown}: exists and is not empty; a trust directory is created once (to re-issue one member's intermediate: unimesh trust rotate MEMBER)`,
    );
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const root = await createRoot(vm);
  writeSecret(join(dir, "root-key.pem"), await keyPem(root.key));
  writePublic(join(dir, "root-cert.pem"), root.cert.toString("pem"));
  writePublic(join(dir, TRUST_MARKER), `Written by \`unimesh trust init\` for VirtualMesh ${vm}. Holds private keys: keep it readable by you only.\n`);
  const out: IssuedMember[] = [];
  for (const m of members) out.push(await writeMember(dir, root, m));
  const rootPem = root.cert.toString("pem");
  return {
    root: { member: "(root)", trustDomain: "", subject: root.cert.subject, notAfter: root.cert.notAfter.toISOString(), fingerprint: fingerprint(rootPem) },
    members: out,
  };
}

/** Reads a file of a trust directory. @throws UsageError naming the file (never its content). */
function readTrustFile(dir: string, shown: string, file: string, flag = "--dir"): string {
  try {
    return fs.readFileSync(join(dir, file), "utf8");
  } catch (e) {
    throw new UsageError(`${flag} ${shown}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Parses a certificate of a trust directory. @throws UsageError naming the file (never its content). */
function parseCert(pem: string, shown: string, file: string, flag = "--dir"): x509.X509Certificate {
  try {
    return new x509.X509Certificate(pem);
  } catch {
    throw new UsageError(`${flag} ${shown}: ${file} is not a PEM certificate (as unimesh trust init writes it)`);
  }
}

async function loadRoot(dir: string, shown: string): Promise<Root> {
  if (!fs.existsSync(join(dir, TRUST_MARKER)))
    throw new UsageError(`--dir ${shown}: not a trust directory (no ${TRUST_MARKER}); create one with unimesh trust init`);
  const cert = parseCert(readTrustFile(dir, shown, "root-cert.pem"), shown, "root-cert.pem");
  // Errors name the file and what is wrong, never its content (a private key).
  const bad = `--dir ${shown}: root-key.pem is not an ECDSA P-256 private key in PKCS#8 PEM (as unimesh trust init writes it); its content is not shown`;
  let key: CryptoKey;
  let jwk: JsonWebKey;
  try {
    const der = x509.PemConverter.decodeFirst(readTrustFile(dir, shown, "root-key.pem"));
    const extractable = (await webcrypto.subtle.importKey("pkcs8", der, ALG, true, ["sign"])) as unknown as CryptoKey;
    jwk = (await webcrypto.subtle.exportKey("jwk", extractable as webcrypto.CryptoKey)) as JsonWebKey;
    key = (await webcrypto.subtle.importKey("pkcs8", der, ALG, false, ["sign"])) as unknown as CryptoKey;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(bad);
  }
  // The key must be the root certificate's: an intermediate signed with another key would not verify.
  const pub = (await webcrypto.subtle.exportKey("jwk", (await cert.publicKey.export(ALG, ["verify"])) as webcrypto.CryptoKey)) as JsonWebKey;
  if (pub.x !== jwk.x || pub.y !== jwk.y)
    throw new UsageError(`--dir ${shown}: root-key.pem is not the key of root-cert.pem (SHA256 ${fingerprint(cert.toString("pem"))}); nothing issued`);
  return { cert, key };
}

/**
 * Re-issues one member's intermediate (a new key pair) under the existing root; the other members and
 * the root are unchanged, so their workloads keep trusting the member's new certificates.
 * @throws UsageError when `dir` is not a trust directory.
 */
export async function rotateTrust(dir: string, shown: string, member: VirtualMeshMember): Promise<IssuedMember> {
  return writeMember(dir, await loadRoot(dir, shown), member);
}

/**
 * Trust material held in memory only (`unimesh up` without `--trust-dir`): a new root for `vm` and an
 * intermediate per member, exactly as {@link initTrust} writes them, never written anywhere. The root's
 * key is dropped once the intermediates are issued.
 */
export async function memoryTrust(vm: string, members: readonly VirtualMeshMember[]): Promise<MemberTrust[]> {
  const root = await createRoot(vm);
  const rootPem = root.cert.toString("pem");
  const out: MemberTrust[] = [];
  for (const m of members) {
    const inter = await issueIntermediate(root, m);
    out.push({
      member: m.name,
      trustDomain: m.trustDomain,
      caCertPem: inter.certPem,
      caKeyPem: inter.keyPem,
      certChainPem: inter.certPem + rootPem,
      rootCertPem: rootPem,
    });
  }
  return out;
}

/**
 * One member's trust material as read from `dir`, for the adapters' `trustObjects` hooks (applied as
 * Secrets) and the built-in proxy's registry.
 * @throws UsageError when the member has no material in `dir`.
 */
export function readMemberTrust(dir: string, shown: string, m: VirtualMeshMember): MemberTrust {
  const d = join(dir, m.name);
  if (!fs.existsSync(join(d, "ca-key.pem")))
    throw new UsageError(`--trust-dir ${shown}: no intermediate for member ${m.name} (run unimesh trust rotate ${m.name} ... --dir ${shown})`);
  const read = (f: string) => readTrustFile(dir, shown, join(m.name, f), "--trust-dir");
  const t: MemberTrust = {
    member: m.name,
    trustDomain: m.trustDomain,
    caCertPem: read("ca-cert.pem"),
    caKeyPem: read("ca-key.pem"),
    certChainPem: read("cert-chain.pem"),
    rootCertPem: read("root-cert.pem"),
  };
  parseCert(t.caCertPem, shown, join(m.name, "ca-cert.pem"), "--trust-dir");
  parseCert(t.rootCertPem, shown, join(m.name, "root-cert.pem"), "--trust-dir");
  // Named, never shown: the key's content must not reach an error message.
  if (!/^-----BEGIN PRIVATE KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PRIVATE KEY-----\s*$/.test(t.caKeyPem))
    throw new UsageError(
      `--trust-dir ${shown}: ${join(m.name, "ca-key.pem")} is not a PKCS#8 private key PEM (as unimesh trust init writes it); its content is not shown`,
    );
  return t;
}
