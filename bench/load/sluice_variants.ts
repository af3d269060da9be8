/**
 * Which Sluice configurations the harness runs: Sluice as a user runs it (defaults), then one
 * variant per value of each axis that differs from its default. An axis takes part only when
 * `main.ts --help` lists its flag, so a new flag (`--transport`, `--listener`) appears in the
 * benchmark as soon as it lands on main, with no change here.
 *
 * @module
 */

/** A Sluice flag whose values are compared. */
export interface SluiceAxis {
  /** The flag, e.g. `--transport`. */
  flag: string;
  /** The values worth measuring. */
  values: readonly string[];
  /** Name the default in the defaults' label. @default true */
  labelDefault?: boolean;
  /** Labels of variants by value. @default `Sluice <flag> <value>` */
  labels?: Readonly<Record<string, string>>;
}

/** The axes compared, each only when `--help` lists the flag. */
export const SLUICE_AXES: readonly SluiceAxis[] = [
  { flag: "--transport", values: ["http1", "fetch"] },
  { flag: "--listener", values: ["http1", "serve"] },
  // The cost of the access log: `warn` logs no request line.
  {
    flag: "--log-level",
    values: ["info", "warn"],
    labelDefault: false,
    labels: { warn: "Sluice --log-level warn (no access log)" },
  },
];

/** One Sluice system of the benchmark. */
export interface SluiceVariant {
  /** System id: `sluice` for the defaults, else `sluice-<flag>-<value>`. */
  id: string;
  /** Label for tables, e.g. `Sluice, defaults (transport http1)` or `Sluice --transport fetch`. */
  label: string;
  /** Arguments added to `main.ts`'s. */
  args: string[];
}

/**
 * The help text of one option: its line and the indented lines that follow, up to the next
 * option line.
 * @returns undefined when `--help` does not list the flag.
 */
export function optionHelp(help: string, flag: string): string | undefined {
  const lines = help.split("\n");
  const start = lines.findIndex((line) => line.trimStart().startsWith(`${flag} `));
  if (start < 0) return undefined;
  const block = [lines[start]!];
  for (const line of lines.slice(start + 1)) {
    if (/^\s*-/.test(line) || !/^\s{4,}\S/.test(line)) break;
    block.push(line);
  }
  return block.join("\n");
}

/**
 * The default an option's help states (`default: X`), without trailing punctuation.
 * @returns undefined when none is stated.
 */
export function optionDefault(block: string): string | undefined {
  return /default:\s*([^\s;,()]+)/.exec(block)?.[1];
}

/**
 * The Sluice systems to run, from `main.ts --help`.
 * @param help the output of `main.ts --help`.
 * @param axes the flags compared.
 * @returns the defaults first (labelled with the axes' defaults), then a variant per value
 *   that is not the default; every value when the default cannot be read.
 */
export function sluiceVariants(
  help: string,
  axes: readonly SluiceAxis[] = SLUICE_AXES,
): SluiceVariant[] {
  const defaults: string[] = [];
  const variants: SluiceVariant[] = [];
  for (const axis of axes) {
    const block = optionHelp(help, axis.flag);
    if (block === undefined) continue;
    const fallback = optionDefault(block);
    const name = axis.flag.replace(/^--/, "");
    if (fallback !== undefined && axis.values.includes(fallback) && axis.labelDefault !== false) {
      defaults.push(`${name} ${fallback}`);
    }
    for (const value of axis.values) {
      if (value === fallback) continue;
      variants.push({
        id: `sluice-${name}-${value}`,
        label: axis.labels?.[value] ?? `Sluice ${axis.flag} ${value}`,
        args: [axis.flag, value],
      });
    }
  }
  const label = defaults.length > 0
    ? `Sluice, defaults (${defaults.join(", ")})`
    : "Sluice, defaults";
  return [{ id: "sluice", label, args: [] }, ...variants];
}

/** A `deno …` command line split: the variables set before it and the words after `deno`. */
export interface StartTask {
  /** `NAME=value` assignments before `deno` (e.g. `{DENO_TOKIO_EVENT_INTERVAL: "1"}`). */
  env: Record<string, string>;
  /** The words after `deno` (e.g. `["run", "--allow-net", "main.ts"]`). */
  args: string[];
}

/**
 * The command a user runs Sluice with: `deno.json`'s `start` task, split into words, so V8
 * flags, permissions or variables added to the task are measured too.
 * @param task the task's command line, e.g. `DENO_X=1 deno run --allow-net main.ts`.
 * @returns its leading `NAME=value` assignments and the words after `deno`.
 * @throws {RangeError} when the task is not a plain `deno …` command (quotes, pipes, `&&`).
 */
export function startTaskArgs(task: string): StartTask {
  const words = task.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let first = 0;
  for (; first < words.length; first++) {
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(words[first]!);
    if (assignment === null) break;
    env[assignment[1]!] = assignment[2]!;
  }
  if (words[first] !== "deno" || /["'`|&;$<>]/.test(task.replaceAll("SLUICE_*", ""))) {
    throw new RangeError(`The start task is not a plain deno command: "${task}"`);
  }
  return { env, args: words.slice(first + 1) };
}
