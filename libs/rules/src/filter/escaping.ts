/**
 * libsinsp's escapes inside quoted strings: \b \f \n \r \t \\ \/ and the delimiter itself. `\ ` gives a backslash
 * (kept by libsinsp for an old upstream rule). Anything else is an error.
 */
const SIMPLE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', ' ': '\\', '\\': '\\', '/': '/' };

/** `raw` includes its delimiters. Throws a plain Error with libsinsp's message; the parser adds the position. */
export function unescapeQuoted(raw: string): string {
  const delimiter = raw[0]!;
  if (raw.indexOf('\\') < 0) return raw.slice(1, -1);
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = raw[++i]!;
    const simple = SIMPLE[e];
    if (simple !== undefined) out += simple;
    else if (e === '"' || e === "'") {
      if (e !== delimiter) throw new Error(`invalid \\${e} escape in ${delimiter}-quoted string`);
      out += e;
    } else throw new Error(`unsupported string escape sequence: \\${e}`);
  }
  return out;
}
