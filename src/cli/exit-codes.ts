/** Exit codes of the `unimesh` CLI: the one table; only the entry point calls `process.exit`. */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** Invalid input, or a policy the target mesh cannot express (diagnostics on stderr). */
  INVALID: 1,
  /** Bad usage: unknown command or option, unknown mesh or version, bad flag value. */
  USAGE: 2,
  /**
   * A cluster could not be reached, or applying to it failed (missing CRDs, API errors); `top`: Prometheus
   * could not be reached, refused or garbled a query, or lacks the recording rules.
   */
  CLUSTER: 3,
  /** Server-side apply conflicts with another field manager (use --force-conflicts to take ownership). */
  CONFLICT: 4,
  /** `diff` found differences (like diff(1), but distinct from invalid input); `inspect --applied` with files: drift. */
  DIFFERENCES: 5,
  /** `explain`: the request would be refused (access denied, invalid token, plaintext on a strict port, bad path). */
  DENIED: 6,
  /** A bug in unimesh (an internal error): please report it. */
  INTERNAL: 70,
  /** The output could not be written (`translate --output-dir DIR`: permissions, disk full); nothing was written. */
  OUTPUT: 73,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Rows for the README and `unimesh --help`. */
export const EXIT_TABLE: [ExitCode, string][] = [
  [EXIT.OK, "success"],
  [EXIT.INVALID, "invalid input, or a policy the target mesh cannot express"],
  [EXIT.USAGE, "bad usage: unknown command/option, unknown mesh or version"],
  [EXIT.CLUSTER, "cluster unreachable or apply failed; top: Prometheus unreachable or without the rules"],
  [EXIT.CONFLICT, "server-side apply conflict with another field manager"],
  [EXIT.DIFFERENCES, "diff found differences (inspect --applied: drift)"],
  [EXIT.DENIED, "explain: the request would be denied"],
  [EXIT.INTERNAL, "internal error (a bug: please report it)"],
  [EXIT.OUTPUT, "output could not be written (nothing was written)"],
];
