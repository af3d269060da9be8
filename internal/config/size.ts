/**
 * Sizes in configuration values: `512kb`, `10mb`, `1gb` (1024-based) or plain bytes.
 *
 * @module
 */

const UNIT_BYTES = { b: 1, kb: 1_024, mb: 1_048_576, gb: 1_073_741_824 } as const;
type SizeUnit = keyof typeof UNIT_BYTES;

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)(b|kb|mb|gb)$/i;
const BYTES_PATTERN = /^\d+$/;
const HINT = "(use 512kb, 10mb, 1gb or bytes)";

/**
 * Parses a size into whole bytes. Units are 1024-based and case-insensitive.
 *
 * @example
 * ```ts
 * parseSize("64kb"); // 65536
 * parseSize("1.5mb"); // 1572864
 * parseSize(512); // 512
 * ```
 *
 * @param value A number of bytes (`65536`), a string of digits (`"65536"`) or a number with a
 * unit `b`, `kb`, `mb` or `gb` (`"64kb"`, `"1.5mb"`). Leading and trailing spaces are ignored.
 * @returns The size in bytes, a safe integer >= 0.
 * @throws {RangeError} When `value` is not in one of those forms, is negative, is not a whole
 * number of bytes (`"1.5b"`) or exceeds `Number.MAX_SAFE_INTEGER`. The message shows the value,
 * e.g. `"10 megs" is not a size (use 512kb, 10mb, 1gb or bytes)`.
 * @throws {TypeError} When `value` is neither a string nor a number.
 */
export function parseSize(value: string | number): number {
  if (typeof value === "number") return checkBytes(value, String(value));
  if (typeof value !== "string") throw new TypeError(`${String(value)} is not a size ${HINT}`);
  const shown = JSON.stringify(value);
  const text = value.trim();
  if (BYTES_PATTERN.test(text)) return checkBytes(Number(text), shown);
  if (text.startsWith("-") && SIZE_PATTERN.test(text.slice(1))) {
    throw new RangeError(`${shown} is not a size: it must not be negative`);
  }
  const match = SIZE_PATTERN.exec(text);
  if (match === null) throw new RangeError(`${shown} is not a size ${HINT}`);
  const [, amount, unit] = match;
  const bytes = Number(amount) * UNIT_BYTES[(unit ?? "b").toLowerCase() as SizeUnit];
  return checkBytes(Math.round(bytes * 1e6) / 1e6, shown);
}

function checkBytes(bytes: number, shown: string): number {
  if (Number.isNaN(bytes)) throw new RangeError(`${shown} is not a size ${HINT}`);
  if (bytes < 0) throw new RangeError(`${shown} is not a size: it must not be negative`);
  if (!Number.isSafeInteger(bytes)) {
    throw new RangeError(
      Number.isFinite(bytes) && bytes <= Number.MAX_SAFE_INTEGER
        ? `${shown} is not a size: it must be a whole number of bytes`
        : `${shown} is not a size: it is too large`,
    );
  }
  return bytes;
}
