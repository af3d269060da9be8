/**
 * The error that stops start-up (or a reload) when the configuration is invalid.
 *
 * @module
 */

/** One thing wrong with the configuration, and where. */
export interface ConfigProblem {
  /**
   * Where the value came from: a config file path such as `backends[1].url` or
   * `health.interval`, or the flag or environment variable that set it (`--port`, `SLUICE_PORT`).
   * Empty when the problem is about the configuration as a whole.
   */
  readonly path: string;
  /** What is wrong, with the value seen: `"localhost:9001" is not an http(s) URL`. */
  readonly message: string;
}

/**
 * Invalid configuration, with every problem found rather than only the first.
 *
 * `message` lists the problems one per line as `path: message`.
 *
 * @example
 * ```ts
 * throw new ConfigError([{ path: "port", message: "99999 is out of range 0-65535" }]);
 * ```
 */
export class ConfigError extends Error {
  /** Always `"ConfigError"`. */
  override readonly name = "ConfigError";
  /** Every problem found, in the order they were found. */
  readonly problems: readonly ConfigProblem[];

  /**
   * Creates the error; `message` becomes one `path: message` line per problem.
   *
   * @param problems Every problem found; each message is kept to one line.
   * @param options Standard error options, e.g. the `cause`.
   */
  constructor(problems: readonly ConfigProblem[], options?: ErrorOptions) {
    const oneLine = problems.map((problem) =>
      Object.freeze({ path: problem.path, message: problem.message.replaceAll(/\s*\n\s*/g, " ") })
    );
    super(oneLine.map(formatProblem).join("\n"), options);
    this.problems = Object.freeze(oneLine);
  }
}

/**
 * Formats a `ConfigError` as the text `main.ts` prints before exiting.
 *
 * @example
 * ```text
 * Cannot start Sluice: 2 problems in the configuration:
 *   - backends[1].url: "localhost:9001" is not an http(s) URL
 *   - port: 99999 is out of range 0-65535
 * ```
 *
 * @param error The error thrown by `loadConfig`.
 * @returns A header line, then one `  - path: message` line per problem, no trailing newline.
 */
export function formatConfigError(error: ConfigError): string {
  const count = error.problems.length;
  const header = `Cannot start Sluice: ${count} ${
    count === 1 ? "problem" : "problems"
  } in the configuration:`;
  return [header, ...error.problems.map((problem) => `  - ${formatProblem(problem)}`)].join("\n");
}

function formatProblem(problem: ConfigProblem): string {
  return problem.path === "" ? problem.message : `${problem.path}: ${problem.message}`;
}
