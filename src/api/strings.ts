/** Small string helpers every layer uses: a locale-independent order and a short stable hash. */

/** 8 hex characters of SHA-256: stable, for name suffixes. */
export function shortHash(s: string): string {
  // node:crypto is loaded on first use: most runs never hash, and loading it costs start-up time.
  return process.getBuiltinModule("node:crypto").createHash("sha256").update(s).digest("hex").slice(0, 8);
}

/** Code-unit string comparison (locale-independent, so output order never depends on the machine). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
