/**
 * Kubernetes names for generated objects: DNS-1123, within length limits, deterministic. A name that
 * would be too long is cut and suffixed with 8 hex characters of the SHA-256 of the full name, so two
 * long names never collide by truncation.
 */
import { shortHash } from "../../api/model.js";

function sanitize(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "");
}

function fit(full: string, max: number): string {
  const clean = sanitize(full) || "x";
  if (clean.length <= max && clean === full) return clean;
  if (clean.length <= max && clean !== full) return clean.length + 9 <= max && /[^a-z0-9-]|[A-Z]/.test(full) ? `${clean}-${shortHash(full)}` : clean;
  return `${clean.slice(0, max - 9).replace(/-+$/, "")}-${shortHash(full)}`;
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
