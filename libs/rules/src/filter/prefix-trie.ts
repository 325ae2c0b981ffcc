/**
 * Path-prefix search for `pmatch` and for long `startswith` alternatives: one walk over the value instead of a
 * scan of every prefix.
 */

interface Node {
  children: Map<string, Node>;
  terminal: boolean;
}
const node = (): Node => ({ children: new Map(), terminal: false });

/** `pmatch`: the value is one of the paths or lies below one of them (whole path components). */
export class PathPrefixSet {
  private readonly root = node();

  constructor(paths: Iterable<string>) {
    for (const p of paths) {
      let n = this.root;
      for (const part of p.split('/')) {
        if (part === '') continue;
        let next = n.children.get(part);
        if (!next) n.children.set(part, (next = node()));
        n = next;
      }
      n.terminal = true;
    }
  }

  matches(path: string): boolean {
    let n = this.root;
    if (n.terminal) return true;
    let start = 0;
    while (start <= path.length) {
      let end = path.indexOf('/', start);
      if (end < 0) end = path.length;
      if (end > start) {
        const next = n.children.get(path.slice(start, end));
        if (!next) return false;
        if (next.terminal) return true;
        n = next;
      }
      start = end + 1;
    }
    return false;
  }
}

/** Plain string prefixes, one character per level. */
export class StringPrefixSet {
  private readonly root = node();

  constructor(prefixes: Iterable<string>) {
    for (const p of prefixes) {
      let n = this.root;
      for (const ch of p) {
        let next = n.children.get(ch);
        if (!next) n.children.set(ch, (next = node()));
        n = next;
      }
      n.terminal = true;
    }
  }

  matches(value: string): boolean {
    let n = this.root;
    if (n.terminal) return true;
    for (let i = 0; i < value.length; i++) {
      const next = n.children.get(value[i]!);
      if (!next) return false;
      if (next.terminal) return true;
      n = next;
    }
    return false;
  }
}
