/**
 * Regenerates the corpus files transcribed from other repositories (llhttp.json, garden.json) from git
 * checkouts of them (each a git directory, read with `git show`, so a bare mirror does):
 *
 *   node node_modules/vite-node/vite-node.mjs test/proxy/h1diff/corpus/import.ts <llhttp git dir> <http-garden git dir>
 *   npx prettier --write test/proxy/h1diff/corpus/*.json
 *
 * - llhttp (github:nodejs/llhttp): every ```` ```http ```` block of test/request/*.md whose meta `type` is
 *   `request` (strict mode: the listener's lenient flags are 0) or `request-finish` (then a FIN follows), turned
 *   into bytes exactly as llhttp's test/md-test.ts does (trailing newline dropped, escaped newlines removed,
 *   newlines to CRLF, `\r \n \t \f \xHH \ooo` and `${js}` expanded). The `request-lenient-*` cases are skipped.
 *   An HTTP/1.1 case without a Host line also gets a `+host` variant, `Host: {host}` inserted after its first
 *   line, so that what reaches the app is compared too (without Host the listener refuses it: 400).
 * - HTTP Garden (github:narfindustries/http-garden): every backquoted `Payload:` of TROPHIES.md (several backquoted
 *   parts: one write each), Python byte-string escapes expanded; HTTP/2 prefaces (`PRI * HTTP/2.0`) skipped (the
 *   listener hands them to its HTTP/2 server, not the one under test).
 * Only the raw requests are taken, never the expected outputs: both implementations share llhttp, so the
 * oracle is the difference between the two, not llhttp's log.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import vm from "node:vm";
import type { Case } from "../harness.js";

const [llhttpDir, gardenDir] = process.argv.slice(2);
if (!llhttpDir || !gardenDir) throw new Error("usage: import.ts <llhttp git dir> <http-garden git dir>");

const git = (dir: string, ...args: string[]) => execFileSync("git", ["-C", dir, ...args], { encoding: "latin1", maxBuffer: 1 << 26 });
const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[`"']/g, "")
    .replace(/[^a-z0-9.+-]+/g, "-")
    .replace(/^-|-$/g, "");

/** llhttp's test/md-test.ts input transformation. */
function llhttpBytes(block: string): string {
  let input = block.replace(/\n$/, "");
  input = input.replace(/\\(\r\n|\r|\n)/g, "");
  input = input.replace(/\r\n|\r|\n/g, "\r\n");
  input = input.replace(/\\r/g, "\r");
  input = input.replace(/\\n/g, "\n");
  input = input.replace(/\\t/g, "\t");
  input = input.replace(/\\f/g, "\f");
  input = input.replace(/\\x([0-9a-fA-F]+)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  input = input.replace(/\\([0-7]{1,3})/g, (_, digits: string) => String.fromCharCode(parseInt(digits, 8)));
  input = input.replace(/\$\{(.+?)\}/g, (_, code: string) => String(vm.runInNewContext(code)));
  return input;
}

function importLlhttp(): Case[] {
  const commit = git(llhttpDir, "rev-parse", "HEAD").trim();
  const files = git(llhttpDir, "ls-tree", "--name-only", "HEAD", "test/request/")
    .trim()
    .split("\n")
    .filter((f) => f.endsWith(".md"));
  const out: Case[] = [];
  const names = new Set<string>();
  for (const file of files) {
    const lines = git(llhttpDir, "show", `HEAD:${file}`).split("\n");
    const headings: string[] = [];
    let meta: { type?: string } | undefined;
    let metaLine = 0;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      const h = l.match(/^(#{2,4}) (.*)$/);
      if (h) {
        headings.length = h[1].length - 2;
        headings.push(h[2].trim());
        continue;
      }
      const m = l.match(/^<!-- meta=(.*) -->$/);
      if (m) {
        meta = JSON.parse(m[1]);
        metaLine = i + 1;
        continue;
      }
      if (l === "```http" && meta) {
        const body: string[] = [];
        for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i]);
        const type = meta.type;
        meta = undefined;
        if (type !== "request" && type !== "request-finish") continue;
        const bytes = llhttpBytes(body.join("\n") + "\n");
        const base = `llhttp/${file.replace(/^test\/request\//, "").replace(/\.md$/, "")}/${slug(headings.join(" / "))}`;
        let name = base;
        for (let n = 2; names.has(name); n++) name = `${base}-${n}`;
        names.add(name);
        const origin = `github:nodejs/llhttp@${commit.slice(0, 12)} ${file}:${metaLine} (${headings.join(" / ")})`;
        const end = type === "request-finish";
        out.push({ name, origin, send: end ? [bytes, { end: true }] : [bytes] });
        const eol = bytes.indexOf("\r\n");
        if (/^[^\r\n]* HTTP\/1\.1\r\n/.test(bytes) && !/\r\nhost:/i.test(bytes) && eol > 0) {
          const withHost = bytes.slice(0, eol + 2) + "Host: {host}\r\n" + bytes.slice(eol + 2);
          out.push({ name: `${name}+host`, origin: `${origin}, Host: {host} added after the first line`, send: end ? [withHost, { end: true }] : [withHost] });
        }
      }
    }
  }
  return out;
}

/** Python bytes-literal escapes as TROPHIES.md writes them. */
function pyBytes(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|r|n|t|\\|0)/g, (_, e: string) =>
    e === "r" ? "\r" : e === "n" ? "\n" : e === "t" ? "\t" : e === "\\" ? "\\" : e === "0" ? "\0" : String.fromCharCode(parseInt(e.slice(1), 16)),
  );
}

function importGarden(): Case[] {
  const commit = git(gardenDir, "rev-parse", "HEAD").trim();
  const lines = git(gardenDir, "show", "HEAD:TROPHIES.md").split("\n");
  const out: Case[] = [];
  let section = "";
  let bug = "";
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const h = l.match(/^#{2,3} (.*)$/);
    if (h) section = h[1].trim();
    const b = l.match(/^(\d+)\. /);
    if (b) bug = b[1];
    const p = l.match(/^\s*- Payload: (`.*`)\s*$/);
    if (!p) continue;
    const parts = [...p[1].matchAll(/`([^`]*)`/g)].map((m) => pyBytes(m[1]));
    if (parts[0].startsWith("PRI * HTTP/2.0")) continue;
    out.push({
      name: `garden/${slug(section)}/${bug}`,
      origin: `github:narfindustries/http-garden@${commit.slice(0, 12)} TROPHIES.md:${i + 1} (${section} ${bug})`,
      send: parts,
    });
  }
  return out;
}

const here = import.meta.dirname;
for (const [file, cases] of [
  ["llhttp.json", importLlhttp()],
  ["garden.json", importGarden()],
] as const) {
  writeFileSync(join(here, file), JSON.stringify(cases, null, 1) + "\n");
  console.log(`${file}: ${cases.length} cases`);
}
