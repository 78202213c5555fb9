/** compareVersions (src/api/versions.ts): one ordering for mesh minors and cluster release tags. */
import { describe, expect, test } from "vitest";
import { compareVersions, compareVersionsDesc } from "../../src/api/versions.js";
import { ISTIO_VERSIONS, FIELD_SINCE, compareVersions as istioCompare } from "../../src/adapters/istio/versions.js";
import { LINKERD_VERSIONS, compareVersions as linkerdCompare } from "../../src/adapters/linkerd/versions.js";

describe("compareVersions", () => {
  test("numbers compare as numbers, field by field; a missing field is lower", () => {
    expect(["1.30", "1.9", "1.22", "2.0", "1.30.0", "1.3"].sort(compareVersions)).toEqual(["1.3", "1.9", "1.22", "1.30", "1.30.0", "2.0"]);
    expect(compareVersions("1.30", "1.30")).toBe(0);
  });

  test("release tags: prefixes and channels (equal numbers ordered by text, so the order is total)", () => {
    expect(["stable-2.14.10", "edge-26.8.3", "v1.13.0", "stable-2.14.9", "edge-2.14.10"].sort(compareVersions)).toEqual([
      "v1.13.0",
      "stable-2.14.9",
      "edge-2.14.10",
      "stable-2.14.10",
      "edge-26.8.3",
    ]);
    expect(["1.9.0", "1.30.3", "1.30.10"].sort(compareVersionsDesc)).toEqual(["1.30.10", "1.30.3", "1.9.0"]);
    expect(["stable-2.14.10", "edge-2.14.10"].sort(compareVersionsDesc)).toEqual(["edge-2.14.10", "stable-2.14.10"]);
  });

  test("agrees with the adapters' own major.minor comparisons on every version they know", () => {
    const istio = [...ISTIO_VERSIONS, ...Object.values(FIELD_SINCE)];
    for (const a of istio) for (const b of istio) expect(Math.sign(compareVersions(a, b))).toBe(Math.sign(istioCompare(a, b)));
    for (const a of LINKERD_VERSIONS) for (const b of LINKERD_VERSIONS) expect(Math.sign(compareVersions(a, b))).toBe(Math.sign(linkerdCompare(a, b)));
  });
});
