#!/usr/bin/env node
// `npm run bench:yaml`: the evidence for unimesh's two hand-written YAML fast paths, on the translate
// benchmark's input (bench/input.mjs, 10,000 services by default: --services=N). Prints JSON.
//
// - emit: src/api/emit.ts writes translate's output; the golden files are js-yaml's bytes
//   (`yaml.dump(o, DUMP_OPTIONS)`). Times the fast writer, js-yaml's dump and the `yaml` package's
//   stringify (eemeli/yaml, with the options that give the same text on this output) on the same objects.
// - locate: src/api/load.ts locatePointer finds a JSON Pointer's line in a document; translate locates
//   pointers in every document. Times the fast locator (4 pointers per document) against the least a
//   locator built on `yaml` must do: parse every document with `parseDocument` and a LineCounter (the
//   reference, test/support/yaml-locate.ts, does that and then walks the nodes). js-yaml's load of the
//   same documents is the scale: what loading costs anyway.
// Best of --runs=N (default 3) per variant; the same text checked equal where it must be.
import yaml from "js-yaml";
import { LineCounter, parseDocument, stringify } from "yaml";
import os from "node:os";
import { DUMP_OPTIONS } from "../dist/api/emit.js";
import { findAdapter, loadModel, locatePointer, parseDocuments, toYaml, translate } from "../dist/index.js";
import { benchInput } from "./input.mjs";

const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const services = Number(arg("services") ?? 10000);
const runs = Number(arg("runs") ?? 3);
const best = (f) =>
  Math.min(
    ...Array.from({ length: runs }, () => {
      const t = performance.now();
      f();
      return performance.now() - t;
    }),
  );
const ms = (x) => +x.toFixed(1);

const { text, allowApproximations } = benchInput("istio", services);
const objects = translate(loadModel([{ file: "bench.yaml", text }]).model, { adapter: findAdapter("istio"), allowApproximations }).resources;
const viaJsYaml = () => objects.map((o) => `---\n${yaml.dump(o, DUMP_OPTIONS)}`).join("");
const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false, version: "1.1" };
const viaYaml = () => objects.map((o) => `---\n${stringify(o, YAML_OPTIONS)}`).join("");
const fast = toYaml(objects);
const emit = {
  objects: objects.length,
  bytes: fast.length,
  sameText: { jsYaml: fast === viaJsYaml(), yaml: fast === viaYaml() },
  ms: { fastWriter: ms(best(() => toYaml(objects))), jsYamlDump: ms(best(viaJsYaml)), yamlStringify: ms(best(viaYaml)) },
};

const documents = parseDocuments(text, "bench.yaml").documents;
const POINTERS = ["", "/spec", "/spec/destination", "/spec/routes/1/split/1/weight"];
// Each variant on copies of the texts: the locator keeps its last documents, found by identity.
const copies = () => documents.map((d) => ({ ...d, text: (" " + d.text).slice(1) }));
const locate = {
  documents: documents.length,
  pointersPerDocument: POINTERS.length,
  ms: {
    fastLocator: ms(
      best(() => {
        for (const d of copies()) for (const p of POINTERS) locatePointer(d, p);
      }),
    ),
    yamlParseDocumentOnly: ms(
      best(() => {
        for (const d of documents) parseDocument(d.text, { lineCounter: new LineCounter(), uniqueKeys: false });
      }),
    ),
    jsYamlLoad: ms(
      best(() => {
        for (const d of documents) yaml.load(d.text, { schema: yaml.CORE_SCHEMA });
      }),
    ),
  },
};
console.log(
  JSON.stringify(
    { machine: { node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg().map((l) => +l.toFixed(2)) }, services, runs, emit, locate },
    null,
    2,
  ),
);
