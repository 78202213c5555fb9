/**
 * Round trip helpers: translate a model for a mesh, import the objects back with the mesh's importer,
 * translate the imported model again. Semantic equality of the two translations ignores only the
 * `unimesh.io/policies` annotation (which policy names an object came from: imported policies are named
 * after the generated objects' annotation, and the rules of several AccessPolicies of one destination come
 * back in one).
 */
import type { Adapter, KubeObject, Model, TranslateOptions, UnimeshDocument } from "../../src/index.js";
import { translate, validateDocuments, POLICIES_ANNOTATION } from "../../src/index.js";
import { importObjects, nativeObject, type ImportResult } from "../../src/api/import.js";

export interface RoundTrip {
  first: KubeObject[];
  imported: ImportResult;
  second?: KubeObject[];
  /** Diagnostics of the second translation or of validating the imported documents, formatted. */
  problems: string[];
}

/** translate → import → validate → translate. */
export async function roundTrip(model: Model, adapter: Adapter, opts: Omit<TranslateOptions, "adapter"> & { version: string }): Promise<RoundTrip> {
  const first = translate(model, { adapter, ...opts });
  if (!first.ok)
    throw new Error(
      `the first translation failed: ${first.diagnostics
        .filter((d) => d.severity === "error")
        .map((d) => d.message)
        .join("; ")}`,
    );
  const objects = first.resources.map((o, i) => nativeObject(JSON.parse(JSON.stringify(o)), { file: "<translated>", documentIndex: i, pointer: "" })!);
  const importer = await adapter.importer!();
  const imported = importObjects(objects, {
    importer,
    mesh: adapter.name,
    services: model.services.map((e) => e.doc),
    settings: { ...(opts.settings ?? {}), ...(model.trustDomain !== "cluster.local" ? { trustDomain: model.trustDomain } : {}) },
  });
  if (!imported.ok)
    return {
      first: first.resources,
      imported,
      problems: imported.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.policy ?? ""} ${d.pointer ?? ""}: ${d.code} ${d.message}`),
    };
  const v = validateDocuments(
    imported.documents.map((doc, index) => ({ file: "<imported>", index, startLine: 1, text: "", value: doc as UnimeshDocument })),
    { trustDomain: model.trustDomain },
  );
  const second = translate(v.model, { adapter, ...opts });
  const problems = [...v.diagnostics, ...second.diagnostics]
    .filter((d) => d.severity === "error")
    .map((d) => `${d.policy ?? ""} ${d.pointer ?? ""}: ${d.code} ${d.message}`);
  return { first: first.resources, imported, ...(second.ok ? { second: second.resources } : {}), problems };
}

/** An object without the `unimesh.io/policies` annotation (see the module doc). */
export function semantic(o: KubeObject): KubeObject {
  const copy = JSON.parse(JSON.stringify(o)) as KubeObject;
  const ann = copy.metadata.annotations;
  if (ann) {
    delete ann[POLICIES_ANNOTATION];
    if (!Object.keys(ann).length) delete copy.metadata.annotations;
  }
  return copy;
}
