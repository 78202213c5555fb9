/**
 * `unimesh translate --mesh appmesh` end to end (in-process): approximations by name, settings, --strict.
 */
import { describe, expect, test } from "vitest";
import { cli } from "../../cli/helpers.js";

describe("unimesh translate --mesh appmesh", () => {
  test("bookinfo: errors without the approximations, manifests with them (fault injection left out)", async () => {
    const failed = await cli(["translate", "examples/bookinfo", "--mesh", "appmesh"]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain("adapter/unsupported-feature");
    const files = ["services.yaml", "traffic.yaml", "security.yaml"].map((f) => `examples/bookinfo/${f}`);
    const r = await cli([
      "translate",
      ...files,
      "--mesh",
      "appmesh@1.13.3",
      "--allow",
      "service-level-access,connection-pool-per-instance",
      "--set",
      "meshName=bookinfo",
    ]);
    expect(r.stderr).toContain("adapter/deprecated-mesh");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("kind: Mesh\nmetadata:\n  name: bookinfo\n");
    // --strict: the approximation warnings become errors, the deprecation notice (info) does not.
    const strict = await cli(["translate", ...files, "--mesh", "appmesh", "--allow", "service-level-access,connection-pool-per-instance", "--strict"]);
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toContain("error adapter/approximation");
    expect(strict.stderr).toContain("info adapter/deprecated-mesh");
  });

  test("an unknown approximation is a usage error listing App Mesh's", async () => {
    const r = await cli(["translate", "examples/bookinfo/services.yaml", "--mesh", "appmesh", "--allow", "nope"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("service-level-access, caller-side-access, connection-pool-per-instance");
  });
});
