/**
 * The reference for `locatePointer` (src/api/load.ts): the same definition, computed from the node
 * ranges of the `yaml` package (eemeli/yaml `parseDocument` with a `LineCounter`) instead of from the
 * lines of the text. The property test (test/api/locate-property.test.ts) holds the hand-written
 * locator to it. Not used by unimesh itself: parsing a document with `yaml` costs about 25 times what
 * js-yaml's load costs (bench/yaml.mjs), and translate locates pointers in every document.
 *
 * Definition: a mapping member is located at its key, a sequence item at its content (after `- ` and
 * any anchor or tag). The search descends through block collections only: a flow collection, an alias
 * or a scalar (block scalars included) ends it at the key or item that holds it. A token that is not
 * found ends it at the deepest ancestor found (the document's content for `""`); undefined for a
 * document without content. Keys compare as the text of what they resolve to; the first one wins.
 */
import { LineCounter, type Node, type Scalar, isMap, isScalar, isSeq, parseDocument } from "yaml";

/** 1-based line and column of `ptr` in `doc` (see the module comment). */
export function locateWithYaml(doc: { text: string; startLine: number }, ptr: string): { line: number; column: number } | undefined {
  const lines = new LineCounter();
  const parsed = parseDocument(doc.text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  let node = parsed.contents as Node | null;
  if (!node?.range) return undefined;
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line: doc.startLine + line - 1, column: col };
  };
  let found = at(node.range[0]);
  const tokens =
    ptr === ""
      ? []
      : ptr
          .slice(1)
          .split("/")
          .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
  for (const token of tokens) {
    let next: unknown;
    if (isMap(node) && !node.flow) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === token);
      const key = pair?.key as Scalar | undefined;
      if (!pair || !key?.range) break;
      found = at(key.range[0]);
      next = pair.value;
    } else if (isSeq(node) && !node.flow) {
      const item = /^\d+$/.test(token) ? (node.items[Number(token)] as Node | undefined) : undefined;
      if (!item?.range) break;
      found = at(item.range[0]);
      next = item;
    } else break;
    if (!((isMap(next) || isSeq(next)) && !next.flow)) break;
    node = next;
  }
  return found;
}
