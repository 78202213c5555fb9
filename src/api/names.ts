/**
 * Kubernetes names for generated objects: DNS-1123, within length limits, deterministic. A name that
 * is already valid is kept as is. Any other is sanitized (lower case; runs of other characters become
 * one `-`), cut to fit, and suffixed with `-` and 8 hex characters of the SHA-256 of the unchanged
 * input, so two different inputs never get the same name by sanitizing or truncation.
 */
import { shortHash } from "./strings.js";

function sanitize(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Exactly the non-empty strings `sanitize` leaves unchanged (lower-case alphanumeric runs joined by single `-`). */
const CLEAN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

function fit(full: string, max: number): string {
  // Fast path for the usual case, a name that is already valid (same result as below, without 3 replaces).
  if (full.length <= max && CLEAN.test(full)) return full;
  const clean = sanitize(full);
  if (clean === full && clean.length > 0 && clean.length <= max) return clean;
  const head = clean.slice(0, max - 9).replace(/-+$/, "");
  return head ? `${head}-${shortHash(full)}` : shortHash(full);
}

/**
 * A DNS-1123 label (≤ 63 chars: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`) from parts joined by `-`.
 * Used for Service-like names and anything that may become a label value or a DNS label.
 */
export function dnsLabel(...parts: (string | number | undefined)[]): string {
  return fit(parts.filter((p) => p !== undefined && p !== "").join("-"), 63);
}

/** A DNS-1123 subdomain (≤ 253 chars) from parts joined by `-` (no dots are produced). */
export function dnsSubdomain(...parts: (string | number | undefined)[]): string {
  return fit(parts.filter((p) => p !== undefined && p !== "").join("-"), 253);
}

/** True for a valid DNS-1123 label. */
export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s);
}

/** True for a valid DNS-1123 subdomain. */
export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s);
}

/** Fully qualified in-cluster host of a Service: `<name>.<namespace>.svc.cluster.local`. */
export function serviceHost(name: string, namespace: string, clusterDomain = "cluster.local"): string {
  return `${name}.${namespace}.svc.${clusterDomain}`;
}
