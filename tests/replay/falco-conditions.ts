/**
 * Falco rule conditions as sysdig 0.29 can take them: macros inlined and list names replaced by their items,
 * textually, as Falco's loader does before compiling (appends applied in file order).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

interface Defs {
  macros: Map<string, string>;
  lists: Map<string, string[]>;
}

type Item = Record<string, unknown>;

export function readDefinitions(files: readonly string[]): Defs {
  const defs: Defs = { macros: new Map(), lists: new Map() };
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const items = doc.toJS() as Item[] | null;
      for (const item of items ?? []) {
        const appends = item.append === true || typeof item.override === 'object';
        if (typeof item.macro === 'string' && typeof item.condition === 'string') {
          const prev = defs.macros.get(item.macro);
          defs.macros.set(item.macro, appends && prev !== undefined ? `${prev} ${item.condition}` : item.condition);
        } else if (typeof item.list === 'string' && Array.isArray(item.items)) {
          const values = item.items.map(String);
          const prev = defs.lists.get(item.list);
          defs.lists.set(item.list, appends && prev ? [...prev, ...values] : values);
        }
      }
    }
  }
  return defs;
}

const PLAIN_ITEM = /^[A-Za-z0-9_./:*\-]+$/;

function listItems(name: string, defs: Defs, depth: number): string {
  return (defs.lists.get(name) ?? []).map((item) => {
    if (defs.lists.has(item) && depth < 32) return listItems(item, defs, depth + 1);
    if (PLAIN_ITEM.test(item) || /^(["']).*\1$/.test(item)) return item;
    return `"${item.replaceAll('"', '\\"')}"`;
  }).filter((s) => s !== '').join(', ');
}

/** Value lists (after in/intersects/pmatch) get list names replaced; elsewhere macro names are inlined. */
export function expandCondition(cond: string, defs: Defs, depth = 0): string {
  if (depth > 64) throw new Error('macro nesting too deep');
  const parts = cond.split(/("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/);
  let inList = 0;
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i % 2 === 1) {
      out += part;
      continue;
    }
    let at = 0;
    const re = /\b(in|intersects|pmatch)\s*\(|[()]|(?<![\w.\/\-\[])([A-Za-z_][A-Za-z0-9_]*)(?![\w.\/\-\[])/g;
    for (let m = re.exec(part); m; m = re.exec(part)) {
      out += part.slice(at, m.index);
      at = m.index + m[0].length;
      if (m[1] !== undefined) {
        if (inList) inList++;
        else inList = 1;
        out += m[0];
      } else if (m[0] === '(') {
        if (inList) inList++;
        out += '(';
      } else if (m[0] === ')') {
        if (inList) inList--;
        out += ')';
      } else if (inList) {
        out += defs.lists.has(m[0]) ? listItems(m[0], defs, 0) : m[0];
      } else {
        const macro = defs.macros.get(m[0]);
        out += macro === undefined ? m[0] : `(${expandCondition(macro, defs, depth + 1)})`;
      }
    }
    out += part.slice(at);
  }
  return out;
}
