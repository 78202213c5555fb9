/** The CLI's commands, in help order. One file per command; add yours here. */
import type { CliCommand } from "../main.js";

export const COMMANDS: CliCommand[] = [];
