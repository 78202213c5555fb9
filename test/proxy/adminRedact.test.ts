/**
 * The admin endpoint `/config` (src/proxy/runtime.ts redactedConfig) shows the running configuration
 * without its secrets: outbound listener tokens, the environment an app is started with, the arguments
 * of its command. Names and the rest of the configuration stay as they are.
 */
import { describe, expect, test } from "vitest";
import { redactedConfig } from "../../src/proxy/runtime.js";

describe("admin /config", () => {
  test("tokens, run.env values and run.command arguments are redacted; everything else is shown", () => {
    const source = {
      spec: {
        services: [
          {
            name: "api",
            instances: [
              {
                port: 8080,
                outbound: { port: 15001, token: "s3cret-token" },
                run: {
                  command: ["node", "api.mjs", "--db-password=hunter2"],
                  env: { DATABASE_URL: "postgres://app:s3cr3t@db/app", STRIPE_KEY: "sk_live_abc" },
                  cwd: "/srv/api",
                },
              },
            ],
          },
        ],
      },
    };
    const shown = redactedConfig(source);
    const text = JSON.stringify(shown);
    for (const secret of ["s3cret-token", "hunter2", "s3cr3t@db", "sk_live_abc", "api.mjs"]) expect(text).not.toContain(secret);
    expect(shown).toEqual({
      spec: {
        services: [
          {
            name: "api",
            instances: [
              {
                port: 8080,
                outbound: { port: 15001, token: "<redacted>" },
                run: { command: ["node", "<redacted>", "<redacted>"], env: { DATABASE_URL: "<redacted>", STRIPE_KEY: "<redacted>" }, cwd: "/srv/api" },
              },
            ],
          },
        ],
      },
    });
    // The configuration itself is untouched.
    expect(source.spec.services[0].instances[0].run.env.STRIPE_KEY).toBe("sk_live_abc");
  });
});
