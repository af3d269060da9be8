/**
 * Durations in configuration values: `250ms`, `2s`, `1m`, `1h`, `1m30s` or plain milliseconds.
 *
 * @module
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
type DurationUnit = keyof typeof UNIT_MS;

/** One or more `<number><unit>` parts, Go style (`1m30s`); `ms` is listed before `m`. */
const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const MILLISECONDS_PATTERN = /^\d+$/;
const HINT = "(use 250ms, 2s, 1m or milliseconds)";

/**
 * Parses a duration into whole milliseconds.
 *
 * Accepts a number of milliseconds (`250`), a string of digits (`"250"`), or a string of one or
 * more `<number><unit>` parts with unit `ms`, `s`, `m` or `h` (`"250ms"`, `"1.5s"`, `"1m30s"`).
 * Leading and trailing spaces are ignored.
 *
 * @example
 * ```ts
 * parseDuration("1.5s"); // 1500
 * parseDuration(250); // 250
 * ```
 *
 * @param value The duration as written in a flag, environment variable or config file.
 * @returns The duration in milliseconds, a safe integer >= 0.
 * @throws {RangeError} When `value` is not in one of those forms, is negative, is not a whole
 * number of milliseconds (`"0.5ms"`) or exceeds `Number.MAX_SAFE_INTEGER` ms. The message shows
 * the value, e.g. `"10 sec" is not a duration (use 250ms, 2s, 1m or milliseconds)`.
 * @throws {TypeError} When `value` is neither a string nor a number.
 */
export function parseDuration(value: string | number): number {
  if (typeof value === "number") return checkMilliseconds(value, String(value));
  if (typeof value !== "string") {
    throw new TypeError(`${String(value)} is not a duration ${HINT}`);
  }
  const shown = JSON.stringify(value);
  const text = value.trim();
  if (MILLISECONDS_PATTERN.test(text)) return checkMilliseconds(Number(text), shown);
  if (text.startsWith("-") && DURATION_PATTERN.test(text.slice(1))) {
    throw new RangeError(`${shown} is not a duration: it must not be negative`);
  }
  if (!DURATION_PATTERN.test(text)) throw new RangeError(`${shown} is not a duration ${HINT}`);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) {
    total += Number(amount) * UNIT_MS[unit as DurationUnit];
  }
  // "1.1s" is 1100.0000000000002 in binary floating point; keep what the user meant.
  return checkMilliseconds(Math.round(total * 1e6) / 1e6, shown);
}

/**
 * Formats milliseconds in the largest unit that divides them exactly, for messages and help text.
 *
 * @example
 * ```ts
 * formatDuration(10_000); // "10s"
 * formatDuration(1_500); // "1500ms"
 * ```
 *
 * @param ms A duration in milliseconds, an integer >= 0.
 * @returns The duration as `parseDuration` accepts it: `"2h"`, `"1m"`, `"10s"`, `"250ms"`.
 */
export function formatDuration(ms: number): string {
  for (const unit of ["h", "m", "s"] as const) {
    const size = UNIT_MS[unit];
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function checkMilliseconds(ms: number, shown: string): number {
  if (Number.isNaN(ms)) throw new RangeError(`${shown} is not a duration ${HINT}`);
  if (ms < 0) throw new RangeError(`${shown} is not a duration: it must not be negative`);
  if (!Number.isSafeInteger(ms)) {
    throw new RangeError(
      Number.isFinite(ms) && ms <= Number.MAX_SAFE_INTEGER
        ? `${shown} is not a duration: it must be a whole number of milliseconds`
        : `${shown} is not a duration: it is too long`,
    );
  }
  return ms;
}
