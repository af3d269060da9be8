/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests of `/metrics`.
 *
 * @module
 */

/** One sample line: `name{labels} value`. */
export interface Sample {
  /** Metric name as written, e.g. `"sluice_request_duration_seconds_bucket"`. */
  name: string;
  /** Label names to unescaped values. */
  labels: Record<string, string>;
  /** The value (`NaN`, `+Inf` and `-Inf` included). */
  value: number;
}

/** What {@linkcode parseExposition} read. */
export interface Exposition {
  /** `# TYPE` of each metric family, by family name. */
  types: Map<string, string>;
  /** Every sample, in order. */
  samples: Sample[];
  /**
   * The value of the sample with exactly these labels.
   * @param name sample name.
   * @param labels all of its labels. @default {}
   * @returns the value, or `undefined` when there is no such sample.
   */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /**
   * Samples of one name.
   * @param name sample name.
   * @returns them, in order (empty when none).
   */
  series(name: string): Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/**
 * Parses a text exposition (format 0.0.4), checking its syntax: metric and label names, quoted
 * and escaped label values (`\\`, `\"`, `\n`), numeric values, and that no series appears twice.
 * @param text the body of a `/metrics` response.
 * @returns the families' types and the samples.
 * @throws {SyntaxError} at the first malformed line, quoting it.
 */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/
        .exec(line);
      if (type) types.set(type[1]!, type[2]!);
      continue;
    }
    const sample = parseSample(line);
    const key = sample.name + JSON.stringify(Object.entries(sample.labels).sort());
    if (seen.has(key)) throw new SyntaxError(`Duplicate series: ${line}`);
    seen.add(key);
    samples.push(sample);
  }
  return {
    types,
    samples,
    value(name, labels = {}) {
      const wanted = Object.entries(labels);
      return samples.find((s) =>
        s.name === name &&
        Object.keys(s.labels).length === wanted.length &&
        wanted.every(([k, v]) => s.labels[k] === v)
      )?.value;
    },
    series(name) {
      return samples.filter((s) => s.name === name);
    },
  };
}

function parseSample(line: string): Sample {
  const fail = (why: string) => new SyntaxError(`${why}: ${JSON.stringify(line)}`);
  const name = NAME.exec(line)?.[0];
  if (name === undefined) throw fail("Bad metric name");
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    rest = rest.slice(1);
    while (!rest.startsWith("}")) {
      const labelName = LABEL_NAME.exec(rest)?.[0];
      if (labelName === undefined || rest[labelName.length] !== "=") throw fail("Bad label");
      if (rest[labelName.length + 1] !== '"') throw fail("Unquoted label value");
      let i = labelName.length + 2;
      let value = "";
      for (;; i++) {
        const c = rest[i];
        if (c === undefined) throw fail("Unterminated label value");
        if (c === '"') break;
        if (c === "\\") {
          const next = rest[++i];
          if (next === "n") value += "\n";
          else if (next === "\\" || next === '"') value += next;
          else throw fail("Bad escape in label value");
        } else {
          value += c;
        }
      }
      if (labelName in labels) throw fail(`Label ${labelName} twice`);
      labels[labelName] = value;
      rest = rest.slice(i + 1);
      if (rest.startsWith(",")) rest = rest.slice(1);
      else if (!rest.startsWith("}")) throw fail("Expected , or }");
    }
    rest = rest.slice(1);
  }
  const fields = rest.split(" ");
  if (fields[0] !== "" || fields.length < 2 || fields.length > 3) throw fail("Bad value");
  const text = fields[1]!;
  const value = text === "+Inf"
    ? Infinity
    : text === "-Inf"
    ? -Infinity
    : text === "NaN" || text === "Nan"
    ? NaN
    : Number(text);
  if (text === "" || (Number.isNaN(value) && !text.startsWith("Na"))) throw fail("Bad value");
  return { name, labels, value };
}
