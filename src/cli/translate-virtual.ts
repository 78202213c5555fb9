/**
 * `unimesh translate <inputs...>` when the inputs hold a VirtualMesh: one translation per member, each by
 * its own mesh's adapter (see virtual-mesh.ts). `--output-dir OUT` writes `OUT/<member>/...` for every
 * member, whole or not at all; `--member NAME` prints that member's manifests on stdout. Any member
 * that cannot be translated means exit 1 and nothing written.
 */
import { UsageError } from "../api/diagnostics.js";
import { serialize } from "../api/emit.js";
import { SHIPPED_ADAPTERS } from "./adapters.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import type { LoadedInputs } from "./inputs.js";
import type { CliIO } from "./io.js";
import type { ManyFlags } from "./translate-many.js";
import { countSummary, policyStatus, report } from "./report.js";
import { type MemberMesh, type MemberTranslation, checkVirtualFlags, memberMesh, translateMember, withResolvedMembers } from "./virtual-mesh.js";

/** The translate flags a virtual-mesh translation reads: those of {@link ManyFlags}, plus `--member`. */
export interface VirtualTranslateFlags extends ManyFlags {
  member?: string;
}

/** Translates valid `loaded` inputs holding a VirtualMesh for each member. @throws UsageError */
export async function translateVirtual(loaded: LoadedInputs, flags: VirtualTranslateFlags, io: CliIO): Promise<ExitCode> {
  const vm = loaded.model.virtualMesh!;
  checkVirtualFlags(flags, [], {}, [], vm.id);
  const members = vm.doc.spec.members.filter((m) => flags.member === undefined || m.name === flags.member);
  if (!members.length)
    throw new UsageError(`--member ${flags.member}: not a member of ${vm.id} (members: ${vm.doc.spec.members.map((m) => m.name).join(", ")})`);
  if (flags.member === undefined && flags.outputDir === undefined && vm.doc.spec.members.length > 1) {
    throw new UsageError(
      `the inputs hold ${vm.id} with ${vm.doc.spec.members.length} members: write one output per member with --output-dir DIR (DIR/<member>/...), or print one member's manifests with --member NAME`,
    );
  }
  const meshes: MemberMesh[] = [];
  for (const m of members) {
    const mesh = await memberMesh(loaded.model, m, SHIPPED_ADAPTERS);
    if (!mesh)
      throw new UsageError(
        `VirtualMesh member ${m.name} has mesh: auto, and the inputs hold no ClusterInfo document for its context ${m.context}; run \`unimesh discover --context ${m.context} -o yaml > ${m.name}-cluster.yaml\` and add the file to the inputs, or name its mesh (e.g. mesh: istio@1.30)`,
      );
    meshes.push(mesh);
  }
  checkVirtualFlags(flags, meshes, flags.settings, flags.allowApproximations, vm.id);
  // What the other members run (theirs by ClusterInfo too), for the cross-cluster references to them.
  const others: MemberMesh[] = [];
  for (const m of vm.doc.spec.members) {
    if (members.includes(m)) continue;
    const mesh = await memberMesh(loaded.model, m, SHIPPED_ADAPTERS).catch(() => undefined);
    if (mesh) others.push(mesh);
  }
  const model = withResolvedMembers(loaded.model, [...meshes, ...others]);
  const text = flags.diagnostics === "text";
  const quiet = { quiet: !!flags.quiet };
  const done: MemberTranslation[] = meshes.map((m) => translateMember(model, m, flags));
  const diagnostics = [...loaded.diagnostics, ...done.flatMap((t) => t.result.diagnostics)];
  const ok = done.every((t) => t.result.ok);
  const status = policyStatus(loaded.model, diagnostics);
  const what = (t: MemberTranslation) => `${t.member.name}: ${t.result.mesh}`;
  const summary = (line: string) => {
    if (!text) return;
    const counts = countSummary(diagnostics, quiet);
    io.stderr.write(`unimesh translate: ${line}${counts ? ` (${counts})` : ""}\n`);
  };
  if (!ok) {
    report(io, flags.diagnostics, { ok: false, diagnostics, status }, quiet);
    summary(
      `${done
        .filter((t) => !t.result.ok)
        .map(what)
        .join(", ")}: cannot translate: nothing written`,
    );
    return EXIT.INVALID;
  }
  const count = (n: number) => `${n} object${n === 1 ? "" : "s"}`;
  if (flags.outputDir !== undefined) {
    const { resolve } = await import("node:path");
    const outputDir = await import("./output-dir.js");
    const dir = resolve(io.cwd, flags.outputDir);
    const files = done.flatMap((t) => outputDir.outputFiles(t.result.resources, flags.format).map((f) => ({ ...f, path: `${t.member.name}/${f.path}` })));
    try {
      outputDir.writeOutputDir(dir, flags.outputDir, files, io.cwd);
    } catch (e) {
      if (!(e instanceof outputDir.OutputError)) throw e;
      io.stderr.write(`unimesh: ${e.message}\n`);
      return EXIT.OUTPUT;
    }
    report(io, flags.diagnostics, { ok: true, diagnostics, status }, quiet);
    summary(`wrote ${done.map((t) => `${flags.outputDir}/${t.member.name}/ (${t.result.mesh}, ${count(t.result.resources.length)})`).join(", ")}`);
  } else {
    const t = done[0];
    io.stdout.write(serialize(t.result.resources, flags.format));
    report(io, flags.diagnostics, { ok: true, mesh: t.result.mesh, diagnostics, status }, quiet);
    if (diagnostics.length) summary(`${what(t)}: ${count(t.result.resources.length)}`);
  }
  return EXIT.OK;
}
