/**
 * Reading proxy documents: YAML or JSON files holding ProxyConfig and ServiceRegistry documents
 * (several per file, `---` separated), validated with the precompiled validator of
 * `schemas/proxy-config.schema.json`. Problems are diagnostics, never exceptions.
 */
import { readFileSync } from "node:fs";
import * as validators from "../../api/generated/validators.js";
import type { ProxyConfig, ServiceRegistry } from "../../api/generated/proxyConfig.js";
import { type Diagnostic, sortDiagnostics } from "../../api/diagnostics.js";
import { parseDocuments, locatePointer, type SourceDocument } from "../../api/load.js";

/** A validated proxy document and where it came from. */
export interface ProxyDocumentEntry<T> {
  doc: T;
  file: string;
  documentIndex: number;
}

/** What {@link loadProxyDocuments} found. */
export interface LoadedProxyDocuments {
  configs: ProxyDocumentEntry<ProxyConfig>[];
  registries: ProxyDocumentEntry<ServiceRegistry>[];
  diagnostics: Diagnostic[];
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, any>;
  message?: string;
}
type ValidateFn = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/** Parses and validates proxy documents given as text. Other unimesh documents are ignored with a warning. */
export function parseProxyDocuments(inputs: { file: string; text: string }[]): LoadedProxyDocuments {
  const out: LoadedProxyDocuments = { configs: [], registries: [], diagnostics: [] };
  for (const input of inputs) {
    const r = parseDocuments(input.text, input.file);
    out.diagnostics.push(...r.diagnostics);
    for (const d of r.documents) validateOne(d, out);
  }
  out.diagnostics = sortDiagnostics(out.diagnostics);
  return out;
}

/** Reads files (`-` is not supported here: the proxy re-reads its files on change). */
export function loadProxyDocuments(files: string[]): LoadedProxyDocuments {
  const inputs: { file: string; text: string }[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    try {
      inputs.push({ file, text: readFileSync(file, "utf8") });
    } catch (e) {
      diagnostics.push({ code: "input/unreadable", severity: "error", file, message: `cannot read: ${(e as Error).message}` });
    }
  }
  const r = parseProxyDocuments(inputs);
  r.diagnostics.unshift(...diagnostics);
  return r;
}

function validateOne(d: SourceDocument, out: LoadedProxyDocuments): void {
  const v = d.value as { kind?: unknown } | null;
  const at = (pointer: string) => {
    const pos = locatePointer(d, pointer);
    return { file: d.file, documentIndex: d.index, pointer, ...(pos ? { line: pos.line, column: pos.column } : {}) };
  };
  if (!v || typeof v !== "object" || (v.kind !== "ProxyConfig" && v.kind !== "ServiceRegistry")) {
    const kind = v && typeof v === "object" ? String(v.kind) : typeof v;
    out.diagnostics.push({
      ...at("/kind"),
      code: "input/foreign-document",
      severity: "warning",
      message: `not a ProxyConfig or ServiceRegistry (kind ${kind}): ignored`,
    });
    return;
  }
  const validate = (validators as unknown as Record<string, ValidateFn>).ProxyConfig;
  if (!validate(v)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      if (e.keyword === "if") continue;
      const pointer = e.keyword === "additionalProperties" ? `${e.instancePath}/${e.params.additionalProperty}` : e.instancePath;
      const message =
        e.keyword === "additionalProperties"
          ? `unknown field "${e.params.additionalProperty}"`
          : e.keyword === "required"
            ? `missing required field "${e.params.missingProperty}"`
            : (e.message ?? e.keyword);
      const key = `${pointer}|${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.diagnostics.push({
        ...at(pointer),
        code: `schema/${e.keyword === "additionalProperties" ? "unknown-field" : e.keyword}`,
        severity: "error",
        message,
      });
    }
    return;
  }
  const entry = { doc: v as never, file: d.file, documentIndex: d.index };
  if (v.kind === "ProxyConfig") out.configs.push(entry);
  else out.registries.push(entry);
}
