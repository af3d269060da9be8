// deno-lint-ignore-file no-console -- a build step: its output is the interface.
/**
 * Build step of the container image: removes from `DENO_DIR` the npm packages that `main.ts` does
 * not import, directly or through other packages.
 *
 * `deno install --frozen --entrypoint main.ts` checks the lockfile and caches main.ts's graph, but
 * it also caches every npm package in the lockfile's snapshot, test tools included
 * (playwright-core, @sinonjs/fake-timers: 32 MB). `--no-lock` would cache the graph only, but
 * resolve versions anew instead of the locked ones. So the image keeps the frozen install and
 * prunes it: the packages to keep are those `deno info --json main.ts` reaches from main.ts's
 * npm modules through their dependencies; every other package it lists is deleted (its version
 * directory, and the package directory when no version is left).
 *
 * At run time Deno would still want every package of the lockfile's snapshot in the cache, so
 * `deno.json` and `deno.lock` in the working directory are rewritten too: the imports, lockfile
 * specifiers, snapshot entries and workspace dependencies of the removed packages go.
 *
 * @example In the Dockerfile's build stage, in the directory of deno.json and deno.lock
 * ```sh
 * deno info --json main.ts | deno run --allow-read --allow-write=/deno-dir,. prune_npm_cache.ts
 * ```
 *
 * @module
 */

/** The part of `deno info --json` output read here. */
export interface DenoInfo {
  /** Modules of the graph; npm ones have `kind: "npm"` and an `npmPackage` id (`name@version`). */
  modules: { kind?: string; npmPackage?: string }[];
  /** Every npm package in the resolution snapshot, by id, with its dependencies' ids. */
  npmPackages: Record<string, { dependencies?: string[]; localPath?: string }>;
}

/**
 * The npm packages the graph needs: those its modules import and, transitively, their
 * dependencies.
 *
 * @param info `deno info --json <entrypoint>` output.
 * @returns Package ids (`name@version`) to keep.
 */
export function reachableNpmPackages(info: DenoInfo): Set<string> {
  const keep = new Set<string>();
  const pending = info.modules.flatMap((module) =>
    module.kind === "npm" && module.npmPackage !== undefined ? [module.npmPackage] : []
  );
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (keep.has(id)) continue;
    keep.add(id);
    pending.push(...(info.npmPackages[id]?.dependencies ?? []));
  }
  return keep;
}

/**
 * Directories to delete: the cache directory of every package id not reachable, and its parent
 * (the package's directory) when no version in it is kept.
 *
 * @param info `deno info --json <entrypoint>` output (with `localPath`s).
 * @returns Absolute paths, version directories before package directories.
 */
export function unreachableDirectories(info: DenoInfo): string[] {
  const keep = reachableNpmPackages(info);
  const keptParents = new Set<string>();
  const versions: string[] = [];
  const parents = new Set<string>();
  for (const [id, npmPackage] of Object.entries(info.npmPackages)) {
    const path = npmPackage.localPath;
    if (path === undefined) continue;
    const parent = path.replace(/\/[^/]+\/?$/, "");
    if (keep.has(id)) {
      keptParents.add(parent);
    } else {
      versions.push(path);
      parents.add(parent);
    }
  }
  return [...versions, ...[...parents].filter((parent) => !keptParents.has(parent))];
}

/** The part of a `deno.lock` (version 5) rewritten by {@linkcode pruneLockfile}. */
export interface Lockfile {
  /** `npm:name@range` -> resolved version. */
  specifiers?: Record<string, string>;
  /** `name@version` -> integrity, dependencies... */
  npm?: Record<string, unknown>;
  workspace?: { dependencies?: string[] };
  [key: string]: unknown;
}

/** `npm:name@range` -> `name`, or `undefined` for a specifier that is not npm's. */
function npmName(specifier: string): string | undefined {
  return /^npm:(@?[^@]+)@/.exec(specifier)?.[1];
}

/**
 * The lockfile without the npm packages not kept: their `specifiers`, `npm` entries and
 * `workspace.dependencies`.
 *
 * @param lock The parsed `deno.lock`.
 * @param keep Package ids (`name@version`) to keep.
 * @returns A new lockfile object; `lock` is not changed.
 */
export function pruneLockfile(lock: Lockfile, keep: ReadonlySet<string>): Lockfile {
  const keptSpecifier = (specifier: string): boolean => {
    const name = npmName(specifier);
    const version = lock.specifiers?.[specifier];
    return name === undefined || version === undefined || keep.has(`${name}@${version}`);
  };
  const result: Lockfile = { ...lock };
  if (lock.specifiers !== undefined) {
    result.specifiers = Object.fromEntries(
      Object.entries(lock.specifiers).filter(([specifier]) => keptSpecifier(specifier)),
    );
  }
  if (lock.npm !== undefined) {
    result.npm = Object.fromEntries(Object.entries(lock.npm).filter(([id]) => keep.has(id)));
  }
  if (lock.workspace?.dependencies !== undefined) {
    result.workspace = {
      ...lock.workspace,
      dependencies: lock.workspace.dependencies.filter(keptSpecifier),
    };
  }
  return result;
}

/**
 * deno.json's `imports` without the npm packages the pruned lockfile no longer has.
 *
 * @param imports deno.json's `imports`.
 * @param pruned The lockfile returned by {@linkcode pruneLockfile}.
 * @returns A new imports object.
 */
export function pruneImports(
  imports: Record<string, string>,
  pruned: Lockfile,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(imports).filter(([, target]) =>
      npmName(target) === undefined || pruned.specifiers?.[target] !== undefined
    ),
  );
}

if (import.meta.main) {
  const info = JSON.parse(await new Response(Deno.stdin.readable).text()) as DenoInfo;
  const remove = unreachableDirectories(info);
  for (const path of remove) await Deno.remove(path, { recursive: true }).catch(() => {});
  // A scope directory (`@sinonjs`) left empty goes too; a non-recursive remove keeps a full one.
  for (const path of remove) {
    const parent = path.replace(/\/[^/]+\/?$/, "");
    if (/\/@[^/]+$/.test(parent)) await Deno.remove(parent).catch(() => {});
  }
  const keep = reachableNpmPackages(info);
  const lock = pruneLockfile(JSON.parse(await Deno.readTextFile("deno.lock")), keep);
  const config = JSON.parse(await Deno.readTextFile("deno.json"));
  config.imports = pruneImports(config.imports ?? {}, lock);
  await Deno.writeTextFile("deno.lock", JSON.stringify(lock, null, 2) + "\n");
  await Deno.writeTextFile("deno.json", JSON.stringify(config, null, 2) + "\n");
  const kept = [...keep].sort();
  console.log(`npm packages kept (${kept.length}): ${kept.join(" ")}`);
  console.log(`removed: ${remove.length === 0 ? "nothing" : remove.join(" ")}`);
}
