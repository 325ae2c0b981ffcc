/**
 * Decoding YAML values the way Falco's reader does: every scalar is text (we parse with the failsafe schema) and is
 * converted on demand; a wrong shape is an error at that node.
 */
import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { LoadCode, type LoadCode as Code } from '../errors.ts';

/** Stops reading a file at its first error, as Falco does. */
export class ItemError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly code: Code = LoadCode.YamlValidate,
  ) {
    super(message);
  }
}

export type YamlMap = YAMLMap<unknown, unknown>;

export function offsetOf(node: unknown, fallback: number): number {
  return (node as Node | null)?.range?.[0] ?? fallback;
}

export function pairs(map: YamlMap): Pair<unknown, unknown>[] {
  return map.items as Pair<unknown, unknown>[];
}

export function keyName(pair: Pair<unknown, unknown>): string {
  return isScalar(pair.key) ? String(pair.key.value) : '';
}

/** The value node under `key`, or undefined when the key is absent. */
export function field(map: YamlMap, key: string): Node | null | undefined {
  for (const p of pairs(map)) if (keyName(p) === key) return (p.value ?? null) as Node | null;
  return undefined;
}

export function has(map: YamlMap, key: string): boolean {
  return field(map, key) !== undefined;
}

export function isNullNode(node: Node | null | undefined): boolean {
  if (node === null || node === undefined) return true;
  return isScalar(node) && node.type === 'PLAIN' && (node.value === '' || node.value === '~' || node.value === 'null');
}

export function decodeString(map: YamlMap, key: string, at: number): string {
  const v = field(map, key);
  if (v === undefined) throw new ItemError(`Item has no mapping for key '${key}'`, at);
  if (isNullNode(v)) throw new ItemError(`Mapping for key '${key}' is empty`, offsetOf(v, at));
  if (!isScalar(v)) throw new ItemError('Value is not a scalar value', offsetOf(v, at));
  const s = String(v.value);
  if (s.length === 0) throw new ItemError('Value must be non-empty', offsetOf(v, at));
  return s;
}

export function decodeOptionalString(map: YamlMap, key: string, at: number): string | undefined {
  return has(map, key) ? decodeString(map, key, at) : undefined;
}

/** yaml-cpp's boolean spellings. */
const TRUE = new Set(['true', 'yes', 'y', 'on']);
const FALSE = new Set(['false', 'no', 'n', 'off']);

export function decodeBool(map: YamlMap, key: string, at: number): boolean {
  const s = decodeString(map, key, at);
  const lower = s.toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  throw new ItemError(`Can't decode YAML scalar value: '${s}' is not a boolean`, offsetOf(field(map, key), at));
}

export function decodeOptionalBool(map: YamlMap, key: string, at: number): boolean | undefined {
  return has(map, key) ? decodeBool(map, key, at) : undefined;
}

export function decodeUint(map: YamlMap, key: string, at: number): number {
  const s = decodeString(map, key, at);
  if (!/^\d+$/.test(s)) throw new ItemError(`Can't decode YAML scalar value: '${s}' is not an unsigned integer`, offsetOf(field(map, key), at));
  return Number(s);
}

/** A sequence of scalars (`items`, `tags`). */
export function decodeScalarSeq(map: YamlMap, key: string, at: number): string[] {
  const v = field(map, key);
  if (v === undefined) throw new ItemError(`Item has no mapping for key '${key}'`, at);
  if (!isSeq(v)) throw new ItemError('Value is not a sequence', offsetOf(v, at));
  const out: string[] = [];
  for (const item of v.items as Node[]) {
    if (!isScalar(item)) throw new ItemError('sequence value is not scalar', offsetOf(item, offsetOf(v, at)));
    out.push(String(item.value));
  }
  return out;
}

export function asMap(node: unknown): YamlMap | null {
  return isMap(node) ? (node as YamlMap) : null;
}
