// Certificates for the benchmark's nginx and http-proxy subjects, made anew for each run with the openssl
// CLI: a CA, a server certificate for hop 2 and a client certificate for hop 1, ECDSA P-256 like the
// certificates of unimesh's built-in CA (src/proxy/identity/ca.ts), with the same SPIFFE URI SANs plus a
// DNS name and 127.0.0.1 (nginx and Node.js verify the server's name against those).
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"];

/** Writes ca.crt, server.{crt,key}, client.{crt,key} into `dir`; returns their paths. */
export function makeCerts(dir) {
  const p = (f) => join(dir, f);
  const run = (args) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  run([
    "req",
    "-x509",
    ...EC,
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.crt"),
    "-subj",
    "/CN=bench CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]);
  const leaf = (name, san) =>
    run([
      "req",
      "-x509",
      ...EC,
      "-keyout",
      p(`${name}.key`),
      "-out",
      p(`${name}.crt`),
      "-subj",
      "/O=cluster.local",
      "-CA",
      p("ca.crt"),
      "-CAkey",
      p("ca.key"),
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "extendedKeyUsage=serverAuth,clientAuth",
      "-addext",
      `subjectAltName=${san}`,
    ]);
  leaf("server", "DNS:reviews.bookinfo,IP:127.0.0.1,URI:spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews");
  leaf("client", "URI:spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage");
  return { ca: p("ca.crt"), serverCert: p("server.crt"), serverKey: p("server.key"), clientCert: p("client.crt"), clientKey: p("client.key") };
}
