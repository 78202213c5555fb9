/** What a CLI command may touch: its streams and environment. Tests pass in-memory ones. */
export interface CliIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** Reads all of standard input (for `-`). */
  readStdin(): string;
  env: Record<string, string | undefined>;
  cwd: string;
  /** The terminal's size when stdout is a terminal (for displays that refresh: `top`); absent or `undefined` otherwise. */
  terminal?(): { columns: number; rows: number } | undefined;
}
