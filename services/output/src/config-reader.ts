/** Typed reads of an untyped config tree; every bad value becomes an OutputConfigError naming its path. */
import { parsePriority, type Priority } from '@peregrine/event';
import { OutputConfigError } from './errors.ts';

export type Tree = Record<string, unknown>;

export function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function tree(v: unknown, path: string): Tree {
  if (v === undefined || v === null) return {};
  if (!isTree(v)) throw new OutputConfigError(path, 'expected a map');
  return v;
}

export function str(t: Tree, key: string, path: string, fallback?: string): string {
  const v = t[key];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new OutputConfigError(`${path}.${key}`, 'is required');
    return fallback;
  }
  if (typeof v !== 'string') throw new OutputConfigError(`${path}.${key}`, 'expected a string');
  return v;
}

export function optStr(t: Tree, key: string, path: string): string | undefined {
  const v = t[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new OutputConfigError(`${path}.${key}`, 'expected a string');
  return v;
}

export function num(t: Tree, key: string, path: string, fallback: number, min = 0): number {
  const v = t[key];
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min) {
    throw new OutputConfigError(`${path}.${key}`, `expected a number >= ${min}`);
  }
  return n;
}

export function bool(t: Tree, key: string, path: string, fallback: boolean): boolean {
  const v = t[key];
  if (v === undefined || v === null) return fallback;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new OutputConfigError(`${path}.${key}`, 'expected true or false');
}

export function strList(t: Tree, key: string, path: string): string[] {
  const v = t[key];
  if (v === undefined || v === null) return [];
  const items = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
  if (!Array.isArray(items) || items.some((i) => typeof i !== 'string')) {
    throw new OutputConfigError(`${path}.${key}`, 'expected a list of strings');
  }
  return items as string[];
}

export function strMap(t: Tree, key: string, path: string): Record<string, string> {
  const m = tree(t[key], `${path}.${key}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new OutputConfigError(`${path}.${key}.${k}`, 'expected a scalar');
    }
    out[k] = String(v);
  }
  return out;
}

export function priority(t: Tree, key: string, path: string, fallback: Priority): Priority {
  const v = t[key];
  if (v === undefined || v === null || v === '') return fallback;
  const p = typeof v === 'string' ? parsePriority(v) : undefined;
  if (!p) throw new OutputConfigError(`${path}.${key}`, `unknown priority ${JSON.stringify(v)}`);
  return p;
}

export function oneOf<T extends string>(t: Tree, key: string, path: string, allowed: readonly T[], fallback: T): T {
  const v = t[key] ?? fallback;
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new OutputConfigError(`${path}.${key}`, `expected one of ${allowed.join(', ')}`);
  }
  return v as T;
}
