/**
 * How configuration values are quoted inside problem messages.
 *
 * @module
 */

const MAX_SHOWN_LENGTH = 60;

/**
 * Renders a value the way a user typed it, for a problem message: strings in double quotes
 * (`"10 sec"`), numbers and booleans bare (`99999`), objects as short JSON. Long renderings are
 * cut with `…` so one bad value cannot flood the error output.
 *
 * @param value Any value read from a flag, an environment variable or a config file.
 * @returns A one-line rendering of `value`.
 */
export function showValue(value: unknown): string {
  let shown: string;
  if (value === undefined) {
    shown = "nothing";
  } else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    shown = String(value);
  } else {
    try {
      shown = JSON.stringify(value) ?? String(value);
    } catch {
      // Circular YAML aliases (`a: &x [*x]`) cannot be serialised.
      shown = Array.isArray(value) ? "[…]" : typeof value === "object" ? "{…}" : String(value);
    }
  }
  return shown.length > MAX_SHOWN_LENGTH ? `${shown.slice(0, MAX_SHOWN_LENGTH - 1)}…` : shown;
}
