/**
 * CIDR blocks (RFC 4632, RFC 4291 §2.3): parsing with messages for people, and a set that
 * answers "is this address inside any of them" with integer operations only.
 *
 * @module
 */

import { formatIp, type IpFamily, parseIp, readIp } from "./ip.ts";

/** One CIDR block: the network address (host bits zero) and the prefix length. */
export interface Cidr {
  /** `4` or `6`. */
  readonly family: IpFamily;
  /** The network address, as `readIp` writes it (IPv4 in word 0). */
  readonly words: Uint32Array;
  /** Leading bits that must match: 0-32 for IPv4, 0-128 for IPv6. */
  readonly prefix: number;
}

/**
 * Parses a CIDR block or a single address (`/32` for IPv4, `/128` for IPv6). An IPv4-mapped
 * IPv6 block with a prefix of 96 or more (`::ffff:10.0.0.0/104`) is the IPv4 block it maps.
 *
 * @example
 * ```ts
 * formatCidr(parseCidr("10.1.0.0/16")); // "10.1.0.0/16"
 * formatCidr(parseCidr("2001:DB8::/32")); // "2001:db8::/32"
 * formatCidr(parseCidr("127.0.0.1")); // "127.0.0.1/32"
 * ```
 *
 * @param text e.g. `"10.0.0.0/8"`, `"2001:db8::/32"`, `"192.0.2.7"`, `"::1"`.
 * @returns the block.
 * @throws {TypeError} when `text` is not an address or block, when the prefix is out of range
 * for the family, or when bits past the prefix are set (`10.0.0.1/8`: did you mean `10.0.0.0/8`
 * or `10.0.0.1/32`?). The message quotes `text`.
 */
export function parseCidr(text: string): Cidr {
  const shown = JSON.stringify(text);
  const slash = text.indexOf("/");
  const address = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (address === undefined) {
    throw new TypeError(
      `${shown} is not an IP address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)`,
    );
  }
  const written = slash < 0 ? "" : text.slice(slash + 1);
  // IPv4-mapped addresses read as IPv4, so their prefix counts from bit 96.
  const mapped = address.family === 4 && text.slice(0, slash < 0 ? text.length : slash)
    .includes(":");
  const bits = address.family === 4 && !mapped ? 32 : 128;
  if (slash >= 0 && !/^(0|[1-9]\d{0,2})$/.test(written)) {
    throw new TypeError(`${shown} has a prefix length that is not a number from 0 to ${bits}`);
  }
  const prefix = slash < 0 ? bits : Number(written);
  if (prefix > bits) {
    throw new TypeError(`${shown} has a prefix length over ${bits}, the bits of the address`);
  }
  if (mapped && prefix < 96) {
    throw new TypeError(
      `${shown} reaches past the IPv4-mapped range ::ffff:0:0/96 (give an IPv4 block instead)`,
    );
  }
  const cidr: Cidr = {
    family: address.family,
    words: address.words,
    prefix: mapped ? prefix - 96 : prefix,
  };
  const masked = maskWords(cidr);
  if (masked.some((word, i) => word !== cidr.words[i])) {
    const network = formatCidr({ ...cidr, words: masked });
    const host = formatCidr({ ...cidr, prefix: cidr.family === 4 ? 32 : 128 });
    throw new TypeError(
      `${shown} has bits set past its prefix (did you mean ${network} or ${host}?)`,
    );
  }
  return cidr;
}

/**
 * The canonical spelling of a block: `address/prefix`, the address as {@linkcode formatIp}
 * writes it.
 * @param cidr a block from {@linkcode parseCidr}.
 * @returns e.g. `"10.0.0.0/8"`, `"::1/128"`.
 */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.family, cidr.words)}/${cidr.prefix}`;
}

/** The four mask words of a block: `prefix` leading one bits. */
function maskOf(family: IpFamily, prefix: number): Uint32Array {
  const mask = new Uint32Array(4);
  const words = family === 4 ? 1 : 4;
  for (let i = 0; i < words; i++) {
    const bits = Math.min(32, Math.max(0, prefix - 32 * i));
    mask[i] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  }
  return mask;
}

function maskWords(cidr: Cidr): Uint32Array {
  const mask = maskOf(cidr.family, cidr.prefix);
  return cidr.words.map((word, i) => (word & mask[i]!) >>> 0);
}

/**
 * A set of CIDR blocks, parsed once, that tells whether an address falls in any of them.
 *
 * Each lookup parses the address text in place (no regex, no allocation) and compares masked
 * 32-bit words: O(blocks) integer operations, a few dozen nanoseconds for a handful of blocks.
 * IPv4-mapped IPv6 addresses match IPv4 blocks.
 *
 * @example
 * ```ts
 * const trusted = new CidrSet(["10.0.0.0/8", "::1"]);
 * trusted.contains("10.2.3.4"); // true
 * trusted.contains("::ffff:10.2.3.4"); // true
 * trusted.contains("192.0.2.1"); // false
 * ```
 */
export class CidrSet {
  /** Pairs of (network, mask) for the IPv4 blocks. */
  readonly #v4: Uint32Array;
  /** Groups of four network words then four mask words for the IPv6 blocks. */
  readonly #v6: Uint32Array;
  /** The address being looked up. */
  readonly #scratch = new Uint32Array(4);

  /**
   * @param cidrs blocks or single addresses, as text (see {@linkcode parseCidr}) or parsed.
   * @throws {TypeError} when a text is not a block (see {@linkcode parseCidr}).
   */
  constructor(cidrs: Iterable<string | Cidr>) {
    const v4: number[] = [];
    const v6: number[] = [];
    for (const item of cidrs) {
      const cidr = typeof item === "string" ? parseCidr(item) : item;
      const mask = maskOf(cidr.family, cidr.prefix);
      const network = maskWords(cidr);
      if (cidr.family === 4) v4.push(network[0]!, mask[0]!);
      else v6.push(...network, ...mask);
    }
    this.#v4 = Uint32Array.from(v4);
    this.#v6 = Uint32Array.from(v6);
  }

  /** Whether the set has no block. */
  get empty(): boolean {
    return this.#v4.length === 0 && this.#v6.length === 0;
  }

  /**
   * Whether the address in `text.slice(start, end)` is inside a block of the set.
   * @param text holds the address (see {@linkcode readIp} for the accepted spellings).
   * @param start index of its first character. @default 0
   * @param end index after its last character. @default text.length
   * @returns `false` as well when the text is not an address.
   */
  contains(text: string, start = 0, end: number = text.length): boolean {
    const family = readIp(text, start, end, this.#scratch);
    return family !== 0 && this.has(family, this.#scratch);
  }

  /**
   * Whether an address already read by {@linkcode readIp} is inside a block of the set.
   * @param family its family.
   * @param words its words.
   * @returns true when some block holds it.
   */
  has(family: IpFamily, words: Uint32Array): boolean {
    if (family === 4) {
      const v4 = this.#v4;
      const address = words[0]!;
      for (let i = 0; i < v4.length; i += 2) {
        if (((address & v4[i + 1]!) >>> 0) === v4[i]) return true;
      }
      return false;
    }
    const v6 = this.#v6;
    for (let i = 0; i < v6.length; i += 8) {
      if (
        ((words[0]! & v6[i + 4]!) >>> 0) === v6[i] &&
        ((words[1]! & v6[i + 5]!) >>> 0) === v6[i + 1] &&
        ((words[2]! & v6[i + 6]!) >>> 0) === v6[i + 2] &&
        ((words[3]! & v6[i + 7]!) >>> 0) === v6[i + 3]
      ) {
        return true;
      }
    }
    return false;
  }
}
