/**
 * commander, loaded with `require` rather than through its ESM wrapper (`commander/esm.mjs`), which
 * saves a few milliseconds of every start-up. Import commander's values from here; its types from
 * "commander" with `import type`.
 */
import { createRequire } from "node:module";
import type * as Commander from "commander";

const commander = createRequire(import.meta.url)("commander") as typeof Commander;

export const { Argument, Command, CommanderError, Option } = commander;
