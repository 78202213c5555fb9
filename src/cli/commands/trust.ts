/**
 * `unimesh trust init <inputs...> --dir DIR`: one root CA for the inputs' VirtualMesh and an intermediate
 * CA per member, written into DIR (created 0700; private keys 0600). `unimesh trust rotate MEMBER
 * <inputs...> --dir DIR`: a new intermediate (new key) for one member under the same root. stdout says
 * what was issued (subjects, expiry, SHA-256 fingerprints, files); no private key is ever printed.
 * `unimesh apply --trust-dir DIR` puts each member's intermediate into its mesh (see src/cli/trust.ts).
 */
import type { Command } from "commander";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";

interface TrustFlags {
  dir: string;
}

export const trustCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    const trust = program
      .command("trust")
      .summary("shared trust of a virtual mesh: a root CA and an intermediate CA per member")
      .description(
        "init: a root CA for the VirtualMesh of the inputs and an intermediate CA per member, in DIR (0700; keys 0600).\n" +
          "rotate MEMBER: re-issue one member's intermediate (new key) under the same root.\n" +
          "Private keys are written only into DIR, and into Secrets by `unimesh apply --trust-dir DIR`; never printed.",
      );
    trust
      .command("init")
      .summary("create the root and every member's intermediate")
      .argument("<inputs...>", "files or directories holding the VirtualMesh")
      .requiredOption("--dir <dir>", "the trust directory to create (must not exist, or be empty)")
      .action(async (paths: string[], flags: TrustFlags) => done(await trustAction("init", undefined, paths, flags, io)));
    trust
      .command("rotate")
      .summary("re-issue one member's intermediate CA")
      .argument("<member>", "the member (spec.members[].name)")
      .argument("<inputs...>", "files or directories holding the VirtualMesh")
      .requiredOption("--dir <dir>", "the trust directory written by trust init")
      .action(async (member: string, paths: string[], flags: TrustFlags) => done(await trustAction("rotate", member, paths, flags, io)));
  },
};

async function trustAction(verb: "init" | "rotate", member: string | undefined, paths: string[], flags: TrustFlags, io: CliIO) {
  const { EXIT } = await import("../exit-codes.js");
  const { UsageError } = await import("../../api/diagnostics.js");
  const { loadInputs } = await import("../inputs.js");
  const { report, countSummary } = await import("../report.js");
  const { resolve, join } = await import("node:path");
  const trust = await import("../trust.js");
  const loaded = loadInputs(paths, io);
  if (!loaded.ok) {
    report(io, "text", { ok: false, diagnostics: loaded.diagnostics, status: [] });
    io.stderr.write(`unimesh trust: invalid input: nothing issued (${countSummary(loaded.diagnostics)})\n`);
    return EXIT.INVALID;
  }
  const vm = loaded.model.virtualMesh;
  if (!vm) throw new UsageError("the inputs hold no VirtualMesh (kind: VirtualMesh, spec.members): trust is issued for its members");
  const dir = resolve(io.cwd, flags.dir);
  const line = (m: { member: string; subject: string; notAfter: string; fingerprint: string }, files: string) =>
    `${m.member}\t${m.subject}\tuntil ${m.notAfter}\tSHA256 ${m.fingerprint}\t${files}\n`;
  const memberFiles = (name: string) => `${join(flags.dir, name)}/{ca-cert.pem, ca-key.pem (0600), cert-chain.pem, root-cert.pem}`;
  if (verb === "init") {
    const r = await trust.initTrust(dir, flags.dir, vm.name, vm.doc.spec.members);
    io.stdout.write(line(r.root, `${join(flags.dir, "root-cert.pem")}, ${join(flags.dir, "root-key.pem")} (0600)`));
    for (const m of r.members) io.stdout.write(line(m, memberFiles(m.member)));
    io.stderr.write(
      `unimesh trust: ${vm.id}: a root and ${r.members.length} intermediate${r.members.length === 1 ? "" : "s"} in ${flags.dir}; keep it private (apply --trust-dir ${flags.dir} puts each member's into its mesh)\n`,
    );
    return EXIT.OK;
  }
  const m = loaded.model.memberNamed(member!);
  if (!m) throw new UsageError(`${member}: not a member of ${vm.id} (members: ${vm.doc.spec.members.map((x) => x.name).join(", ")})`);
  const r = await trust.rotateTrust(dir, flags.dir, m);
  io.stdout.write(line(r, memberFiles(r.member)));
  io.stderr.write(
    `unimesh trust: ${vm.id}: member ${m.name} has a new intermediate; apply --trust-dir ${flags.dir} --context ${m.context} puts it into its mesh (then restart its control plane and workloads)\n`,
  );
  return EXIT.OK;
}
