/** Serializing generated objects: YAML documents or a JSON `List`, byte-identical for the same input. */
import yaml from "js-yaml";
import type { KubeObject } from "./adapter.js";

/** Output formats of `translate`. */
export type OutputFormat = "yaml" | "json";

/**
 * YAML stream: one document per object, `---` separated, keys in the order given (translate()
 * already ordered them), no anchors, long strings never folded.
 */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => "---\n" + dumpYaml(o)).join("");
}

/**
 * One value as YAML (no anchors, no line folding). Strings YAML 1.1 readers would take for booleans or
 * numbers (`yes`, `on`, `1_000`) stay quoted, since kubectl reads YAML 1.1.
 */
export function dumpYaml(value: unknown): string {
  return yaml.dump(value, { noRefs: true, lineWidth: -1, sortKeys: false, quotingType: '"' });
}

/** A Kubernetes `v1 List` holding the objects, as indented JSON with a trailing newline. */
export function toJson(objects: readonly KubeObject[]): string {
  return JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2) + "\n";
}

/** Serializes in the given format. */
export function serialize(objects: readonly KubeObject[], format: OutputFormat): string {
  return format === "json" ? toJson(objects) : toYaml(objects);
}
