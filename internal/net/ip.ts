/**
 * IPv4 and IPv6 addresses in text: parsing without regexes or allocation, and the canonical
 * spelling.
 *
 * An address is held as four 32-bit words in a caller's `Uint32Array(4)`: an IPv4 address in
 * word 0, an IPv6 address in words 0-3, most significant first. An IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, RFC 4291 §2.5.5.2) reads as the IPv4 address it carries, so one client
 * is one address whichever socket family it arrived on.
 *
 * @module
 */

/** `4` or `6`; `0` where a parser found no valid address. */
export type IpFamily = 4 | 6;

/**
 * Reads the address in `text.slice(start, end)` into `out` without allocating.
 *
 * Accepts dotted-quad IPv4 (no leading zeros: `010.0.0.1` is ambiguous between octal and
 * decimal, so it is refused as `inet_pton` does) and every RFC 4291 §2.2 IPv6 spelling,
 * including `::` and a trailing dotted quad. No brackets, ports or zone ids.
 *
 * @example
 * ```ts
 * const words = new Uint32Array(4);
 * readIp("::ffff:10.0.0.1", 0, 15, words); // 4, words[0] === 0x0a000001
 * ```
 *
 * @param text the text holding the address.
 * @param start index of its first character.
 * @param end index after its last character.
 * @param out receives the address: IPv4 in word 0, IPv6 in words 0-3.
 * @returns the family, or `0` when the text is not an address (`out` is then unspecified).
 */
export function readIp(text: string, start: number, end: number, out: Uint32Array): IpFamily | 0 {
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) === COLON) return readIpv6(text, start, end, out);
  }
  const value = readIpv4(text, start, end);
  if (value < 0) return 0;
  out[0] = value;
  return 4;
}

/**
 * Parses one address, e.g. from the configuration.
 * @param text an IPv4 or IPv6 address, nothing else (no brackets, port or surrounding space).
 * @returns its family and words (an IPv4-mapped IPv6 address as IPv4, words 1-3 zero), or
 * `undefined`.
 */
export function parseIp(text: string): { family: IpFamily; words: Uint32Array } | undefined {
  const words = new Uint32Array(4);
  const family = readIp(text, 0, text.length, words);
  if (family === 0) return undefined;
  if (family === 4) words.fill(0, 1); // what an IPv4-mapped address left behind
  return { family, words };
}

/**
 * The canonical spelling of an address: dotted quad for IPv4; for IPv6 the RFC 5952 form
 * (lower-case hex, no leading zeros, the longest run of two or more zero groups as `::`).
 * @param family the address family.
 * @param words the address as {@linkcode readIp} wrote it.
 * @returns e.g. `"192.0.2.1"` or `"2001:db8::1"`.
 */
export function formatIp(family: IpFamily, words: Uint32Array): string {
  if (family === 4) {
    const v = words[0]!;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const parts = formatGroups;
  for (let i = 0; i < 4; i++) {
    parts[2 * i] = words[i]! >>> 16;
    parts[2 * i + 1] = words[i]! & 0xffff;
  }
  // RFC 5952 §4.2: compress the longest run of zero groups (the first of equals), never one alone.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (parts[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += "::";
      i += bestLength - 1;
    } else {
      text += (text === "" || text.endsWith(":") ? "" : ":") + parts[i]!.toString(16);
    }
  }
  return text;
}

/** The groups being formatted; module scope, since formatting never yields. */
const formatGroups = new Uint16Array(8);

const COLON = 0x3a;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** The IPv4 address in `text[start, end)` as an unsigned 32-bit number, or -1. */
function readIpv4(text: string, start: number, end: number): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (i < end) {
    let octet = 0;
    let digits = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < ZERO || c > NINE) break;
      if (digits === 1 && octet === 0) return -1; // a leading zero
      octet = octet * 10 + c - ZERO;
      digits++;
      i++;
    }
    if (digits === 0 || octet > 255) return -1;
    value = value * 256 + octet;
    octets++;
    if (i === end) break;
    if (text.charCodeAt(i) !== DOT || octets === 4) return -1;
    i++;
    if (i === end) return -1; // a trailing dot
  }
  return octets === 4 ? value : -1;
}

/** Hex digit value of a character code, or -1. */
function hexValue(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** The eight 16-bit groups being read; module scope, since parsing never yields. */
const groups = new Uint16Array(8);

function readIpv6(text: string, start: number, end: number, out: Uint32Array): IpFamily | 0 {
  let count = 0;
  let gap = -1;
  let i = start;
  if (text.charCodeAt(i) === COLON) {
    if (end - i < 2 || text.charCodeAt(i + 1) !== COLON) return 0;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    if (count === 8) return 0;
    let value = 0;
    let digits = 0;
    let j = i;
    for (; j < end; j++) {
      const digit = hexValue(text.charCodeAt(j));
      if (digit < 0) break;
      if (digits === 4) return 0;
      value = value * 16 + digit;
      digits++;
    }
    if (j < end && text.charCodeAt(j) === DOT) {
      // A trailing dotted quad fills the last two groups (RFC 4291 §2.2, form 3).
      if (count > 6) return 0;
      const v4 = readIpv4(text, i, end);
      if (v4 < 0) return 0;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      break;
    }
    if (digits === 0) return 0;
    groups[count++] = value;
    i = j;
    if (i === end) break;
    if (text.charCodeAt(i) !== COLON) return 0;
    i++;
    if (i < end && text.charCodeAt(i) === COLON) {
      if (gap >= 0) return 0; // a second "::"
      gap = count;
      i++;
    } else if (i === end) {
      return 0; // a trailing single ":"
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return 0;
  // Spread the groups over the words, the gap's zeros in between.
  const zeros = 8 - count;
  for (let k = 0, g = 0; k < 8; k += 2) {
    const high = gap >= 0 && k >= gap && k < gap + zeros ? 0 : groups[g++]!;
    const low = gap >= 0 && k + 1 >= gap && k + 1 < gap + zeros ? 0 : groups[g++]!;
    out[k >> 1] = ((high << 16) | low) >>> 0;
  }
  if (out[0] === 0 && out[1] === 0 && out[2] === 0xffff) {
    out[0] = out[3]!;
    return 4;
  }
  return 6;
}
