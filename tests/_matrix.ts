/**
 * The end-to-end test matrix: proxy-path tests run once per variant of Sluice's data plane.
 * Two axes: the transport (`--transport`) and the client listener (`--listener`). To keep the
 * suite's time sane, each axis is run against the other's default rather than the full
 * product: both transports behind the default listener, and the other listener with the
 * default transport. Tests where the pair matters (upgrade tunnels need both `http1`) start
 * Sluice with their own arguments.
 *
 * @module
 */

/** Transports a proxy-path test runs with (`--transport`). */
export const TRANSPORTS = ["http1", "fetch"] as const;

/** Client listeners a proxy-path test runs with (`--listener`). */
export const LISTENERS = ["serve", "http1"] as const;

/** The default of each axis (as `main.ts --help` shows it). */
const DEFAULT_TRANSPORT: typeof TRANSPORTS[number] = "http1";
const DEFAULT_LISTENER: typeof LISTENERS[number] = "http1";

/** One combination of the axes. */
export interface Variant {
  /** `--transport` value. */
  readonly transport: typeof TRANSPORTS[number];
  /** `--listener` value. */
  readonly listener: typeof LISTENERS[number];
  /** Short label in test names, e.g. `http1` or `fetch, listener http1`. */
  readonly label: string;
  /** Command-line arguments selecting this variant (`startSluice` prepends them). */
  readonly args: readonly string[];
}

function variant(
  transport: typeof TRANSPORTS[number],
  listener: typeof LISTENERS[number],
): Variant {
  return {
    transport,
    listener,
    label: listener === DEFAULT_LISTENER ? transport : `${transport}, listener ${listener}`,
    args: ["--transport", transport, "--listener", listener],
  };
}

/** Every variant, in the order tests are registered. */
export const VARIANTS: readonly Variant[] = [
  ...TRANSPORTS.map((transport) => variant(transport, DEFAULT_LISTENER)),
  ...LISTENERS.filter((listener) => listener !== DEFAULT_LISTENER).map((listener) =>
    variant(DEFAULT_TRANSPORT, listener)
  ),
];

/**
 * Registers one `Deno.test` per variant, named `"<name> [<label>]"`.
 * @param name the test's name.
 * @param fn the test, given its variant (pass it to `startSluice`).
 * @param options `Deno.test` options besides name and function (e.g. `ignore`).
 */
export function proxyTest(
  name: string,
  fn: (variant: Variant) => Promise<void>,
  options: Omit<Deno.TestDefinition, "name" | "fn"> = {},
): void {
  for (const variant of VARIANTS) {
    Deno.test({ ...options, name: `${name} [${variant.label}]`, fn: () => fn(variant) });
  }
}
