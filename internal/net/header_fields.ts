/**
 * Reading one field from a request's header field lines as a listener parsed them.
 *
 * @module
 */

/**
 * Header field lines as a listener parsed them, in wire order: one entry per line (repeated
 * names not combined), names lower case, values trimmed (`RequestContext.headerFields`).
 */
export type FieldLines = readonly (readonly [string, string])[];

/**
 * The value of the field `name` in `fields`, as `Headers.get(name)` gives it: repeated lines
 * joined with `", "` in order (RFC 9110 §5.3), `null` when there is none.
 * @param fields field lines as parsed: names in lower case, values as sent.
 * @param name the field's name, lower case.
 * @returns the combined value, or `null`.
 */
export function fieldValue(fields: FieldLines, name: string): string | null {
  let value: string | null = null;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (field[0] === name) value = value === null ? field[1] : `${value}, ${field[1]}`;
  }
  return value;
}
