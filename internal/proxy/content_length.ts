/**
 * Reading Content-Length as RFC 9112 §6.3 asks.
 *
 * @module
 */

import { BadRequestError } from "./errors.ts";

/**
 * The value of a request's Content-Length header, bytes. A field repeated with the same value
 * (`Content-Length: 5` twice, which `Headers` joins as `"5, 5"`) or a list of identical values
 * is one value (RFC 9112 §6.3 item 5); differing values, or anything but digits, are refused.
 * @param value the header's value as `Headers.get` returns it, or `null`.
 * @returns the length, bytes, or `null` when there is no Content-Length.
 * @throws {BadRequestError} when the value is not one whole number (several differing values,
 *   a sign, spaces inside, an empty value, more than 2^53 - 1).
 */
export function parseContentLength(value: string | null): number | null {
  if (value === null) return null;
  if (isDigits(value)) return checked(Number(value), value);
  // Repeated fields or a list: every element must be the same number.
  let length: number | undefined;
  for (const element of value.split(",")) {
    const trimmed = element.trim();
    if (!isDigits(trimmed)) {
      throw new BadRequestError(`Content-Length is not a number of bytes: "${value}"`);
    }
    const n = checked(Number(trimmed), value);
    if (length !== undefined && n !== length) {
      throw new BadRequestError(`Content-Length has differing values: "${value}"`);
    }
    length = n;
  }
  return length!;
}

function checked(length: number, value: string): number {
  if (!Number.isSafeInteger(length)) {
    throw new BadRequestError(`Content-Length is too large: "${value}"`);
  }
  return length;
}

function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
