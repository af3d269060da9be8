/**
 * The end-to-end test matrix: proxy-path tests run once per variant of Sluice's data plane.
 * Today's axis is the transport; another axis (the listener) adds a field to `Variant` and
 * a row to `AXES`, and every `proxyTest` runs over the product.
 *
 * @module
 */

/** Transports a proxy-path test runs with (`--transport`). */
export const TRANSPORTS = ["http1", "fetch"] as const;

/** One combination of the axes. */
export interface Variant {
  /** `--transport` value. */
  readonly transport: typeof TRANSPORTS[number];
  /** Short label in test names, e.g. `http1`. */
  readonly label: string;
  /** Command-line arguments selecting this variant (`startSluice` prepends them). */
  readonly args: readonly string[];
}

/** Every variant, in the order tests are registered. */
export const VARIANTS: readonly Variant[] = TRANSPORTS.map((transport) => ({
  transport,
  label: transport,
  args: ["--transport", transport],
}));

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
