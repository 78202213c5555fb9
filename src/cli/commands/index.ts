/** The CLI's commands, in help order. One file per command; add yours here (one line). */
import type { CliCommand } from "../main.js";
import { validateCommand } from "./validate.js";
import { translateCommand } from "./translate.js";
import { meshesCommand } from "./meshes.js";
import { schemaCommand } from "./schema.js";
import { discoverCommand } from "./discover.js";
import { diffCommand } from "./diff.js";
import { applyCommand } from "./apply.js";

export const COMMANDS: CliCommand[] = [
  validateCommand,
  translateCommand,
  meshesCommand,
  schemaCommand,
  discoverCommand,
  diffCommand,
  applyCommand,
];
