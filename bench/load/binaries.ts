/**
 * Finding the programs the harness drives (wrk, nginx, haproxy, caddy) on `PATH`.
 *
 * @module
 */

/**
 * The full path of an executable on `PATH`.
 * @param name program name, e.g. `nginx`.
 * @param path the search path. @default `PATH` with the sbin directories nginx lives in
 * @returns undefined when not installed.
 */
export function findBinary(
  name: string,
  path = `${Deno.env.get("PATH") ?? ""}:/usr/sbin:/usr/local/sbin`,
): string | undefined {
  for (const dir of path.split(":")) {
    if (dir === "") continue;
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return `${dir}/${name}`;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Runs a program to read its version line (`nginx -v` writes to stderr, others to stdout).
 * @returns the first non-empty output line, or undefined when the program is missing.
 */
export async function versionLine(command: string, args: string[]): Promise<string | undefined> {
  try {
    const output = await new Deno.Command(command, { args, stdin: "null" }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    return text.split("\n").map((line) => line.trim()).find((line) => line !== "");
  } catch {
    return undefined;
  }
}
