/** Names of generated objects: dnsLabel / dnsSubdomain (src/api/names.ts). */
import { describe, expect, test } from "vitest";
import { dnsLabel, dnsSubdomain, isDnsLabel, isDnsSubdomain, objectMeta, serviceHost } from "../../src/index.js";
import { shortHash } from "../../src/api/model.js";

const HASH = /-?[0-9a-f]{8}$/;

describe("dnsLabel", () => {
  test("valid names are kept as they are", () => {
    expect(dnsLabel("reviews")).toBe("reviews");
    expect(dnsLabel("reviews", "v2")).toBe("reviews-v2");
    expect(dnsLabel("reviews", 9080)).toBe("reviews-9080");
    expect(dnsLabel("a", 0)).toBe("a-0");
    expect(dnsLabel("9to5")).toBe("9to5");
    expect(dnsLabel("x".repeat(63))).toBe("x".repeat(63));
  });

  test("empty and undefined parts are left out", () => {
    expect(dnsLabel("reviews", undefined, "", "allow")).toBe("reviews-allow");
    expect(dnsLabel(undefined, "a", undefined)).toBe("a");
  });

  test("anything changed by sanitizing gets a hash of the original, so distinct inputs stay distinct", () => {
    const cases = ["Reviews", "reviews.bookinfo", "my_service", "a--b", "-a-", "a b", "über"];
    for (const c of cases) {
      const n = dnsLabel(c);
      expect(isDnsLabel(n), `${c} → ${n}`).toBe(true);
      expect(n).toBe(`${n.replace(HASH, "")}-${shortHash(c)}`);
    }
    expect(dnsLabel("Reviews")).toBe(`reviews-${shortHash("Reviews")}`);
    expect(dnsLabel("reviews.bookinfo")).toBe(`reviews-bookinfo-${shortHash("reviews.bookinfo")}`);
    expect(dnsLabel("my_service")).toBe(`my-service-${shortHash("my_service")}`);
    expect(dnsLabel("über")).toBe(`ber-${shortHash("über")}`);
    expect(new Set(["Reviews", "reviews", "REVIEWS", "reviews."].map((s) => dnsLabel(s))).size).toBe(4);
    expect(dnsLabel("a--b")).not.toBe(dnsLabel("a-b"));
  });

  test("nothing usable left: the hash alone (still a valid label)", () => {
    for (const c of ["", "---", "___", "..."]) {
      const n = dnsLabel(c);
      expect(n).toBe(shortHash(c));
      expect(isDnsLabel(n)).toBe(true);
    }
    expect(dnsLabel()).toBe(shortHash(""));
    expect(dnsLabel("")).toBe(dnsLabel(undefined));
    expect(dnsLabel("___")).not.toBe(dnsLabel("---"));
  });

  test("300 characters: cut to 63 with a hash, no trailing dash before the hash", () => {
    const long = "a".repeat(150) + "." + "b".repeat(149);
    const n = dnsLabel(long);
    expect(n).toHaveLength(63);
    expect(n).toBe(`${"a".repeat(54)}-${shortHash(long)}`);
    const dashed = dnsLabel("a".repeat(53) + "-" + "b".repeat(100));
    expect(dashed).toBe(`${"a".repeat(53)}-${shortHash("a".repeat(53) + "-" + "b".repeat(100))}`);
    expect(dashed).not.toContain("--");
  });

  test("collisions by truncation get different hashes", () => {
    const prefix = "reviews-".repeat(10);
    const a = dnsLabel(prefix, "route-a");
    const b = dnsLabel(prefix, "route-b");
    expect(a.slice(0, 54)).toBe(b.slice(0, 54));
    expect(a).not.toBe(b);
    for (const n of [a, b]) expect(isDnsLabel(n)).toBe(true);
    // just over the limit is cut; exactly at the limit is not
    expect(dnsLabel("x".repeat(64))).toHaveLength(63);
    expect(dnsLabel("x".repeat(64))).not.toBe(dnsLabel("x".repeat(65)));
  });

  test("every output is a valid label, for many odd inputs", () => {
    const odd = ["A", "a.", ".a", "a..b", "a_-_b", "-", "0", "😀", "x".repeat(1000), "Ab-" + "C".repeat(62), "a\nb", "a/b", "%", "a".repeat(62) + "_"];
    for (const s of odd) {
      const n = dnsLabel(s);
      expect(isDnsLabel(n), `${JSON.stringify(s)} → ${n}`).toBe(true);
      expect(dnsLabel(s)).toBe(n); // deterministic
    }
  });
});

describe("dnsSubdomain", () => {
  test("like dnsLabel, with room for 253 characters (no dots produced)", () => {
    expect(dnsSubdomain("reviews", "allow")).toBe("reviews-allow");
    const long = "x".repeat(100);
    expect(dnsSubdomain(long)).toBe(long);
    expect(dnsSubdomain("x".repeat(300))).toHaveLength(253);
    expect(dnsSubdomain("x".repeat(300))).toBe(`${"x".repeat(244)}-${shortHash("x".repeat(300))}`);
    expect(dnsSubdomain("a.b")).toBe(`a-b-${shortHash("a.b")}`);
    for (const s of ["A.B.C", "x".repeat(400), "", "_"]) expect(isDnsSubdomain(dnsSubdomain(s))).toBe(true);
  });
});

describe("validity checks", () => {
  test("isDnsLabel / isDnsSubdomain", () => {
    expect(isDnsLabel("a-b")).toBe(true);
    expect(isDnsLabel("a".repeat(64))).toBe(false);
    expect(isDnsLabel("-a")).toBe(false);
    expect(isDnsLabel("a.b")).toBe(false);
    expect(isDnsLabel("")).toBe(false);
    expect(isDnsSubdomain("a.b-c.d")).toBe(true);
    expect(isDnsSubdomain("a..b")).toBe(false);
    expect(isDnsSubdomain("a".repeat(254))).toBe(false);
  });

  test("serviceHost", () => {
    expect(serviceHost("reviews", "bookinfo")).toBe("reviews.bookinfo.svc.cluster.local");
    expect(serviceHost("reviews", "bookinfo", "example.org")).toBe("reviews.bookinfo.svc.example.org");
  });
});

describe("objectMeta", () => {
  const e = (id: string) => ({ id }) as never;
  test("keys in order name, namespace, labels, annotations; policies sorted and unique; extra copied", () => {
    const labels = { z: "1" };
    const annotations = { "x.io/a": "b" };
    const m = objectMeta("n", "ns", [e("T/ns/b"), "T/ns/a", e("T/ns/b")], { labels, annotations });
    expect(JSON.stringify(m)).toBe('{"name":"n","namespace":"ns","labels":{"z":"1"},"annotations":{"x.io/a":"b","unimesh.io/policies":"T/ns/a,T/ns/b"}}');
    expect(m.labels).not.toBe(labels);
    expect(m.annotations).not.toBe(annotations);
  });

  test("one policy, none, a Set, no namespace", () => {
    expect(objectMeta("n", "ns", [e("T/ns/a")])).toEqual({ name: "n", namespace: "ns", annotations: { "unimesh.io/policies": "T/ns/a" } });
    expect(JSON.stringify(objectMeta("n", undefined, []))).toBe('{"name":"n","annotations":{}}');
    expect(objectMeta("n", undefined, new Set(["b", "a"])).annotations).toEqual({ "unimesh.io/policies": "a,b" });
  });
});
