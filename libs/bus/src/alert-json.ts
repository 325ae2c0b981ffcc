/**
 * Alerts as Falco JSON, exact for 64-bit integers. Falco prints uint64 fields (`evt.time`, ns since the epoch) as
 * bare integers beyond 2^53, which a JS number rounds (…758065975 → …758066000). Here a bigint is written as its
 * digits, and an integer token beyond Number.MAX_SAFE_INTEGER is read back as a bigint; everything else is what
 * JSON.stringify / JSON.parse give. Alerts only (not the event path), so a small hand parser is fine.
 */
import type { Alert } from '@peregrine/event';
import { AlertDecodeError } from './errors.ts';

const utf8d = new TextDecoder();

/** JSON text of `value`; bigints (at any depth) as bare digits. Keys with undefined or function values are left out. */
export function encodeJson(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      out += `${i > 0 ? ',' : ''}${v === undefined || typeof v === 'function' ? 'null' : encodeJson(v)}`;
    }
    return `${out}]`;
  }
  let out = '{';
  let first = true;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || typeof v === 'function') continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${encodeJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

export const encodeAlert = (alert: Alert): string => encodeJson(alert);

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;

/** JSON.parse, except integers beyond 2^53 come back as exact bigints. Throws AlertDecodeError with the offset. */
export function decodeJson(text: string): unknown {
  const p = { text, pos: 0 };
  const v = value(p);
  skipWs(p);
  if (p.pos !== text.length) throw new AlertDecodeError('unexpected text after the JSON value', p.pos);
  return v;
}

interface Cursor { text: string; pos: number }

function skipWs(p: Cursor): void {
  WS.lastIndex = p.pos;
  WS.exec(p.text);
  p.pos = WS.lastIndex;
}

function value(p: Cursor): unknown {
  skipWs(p);
  const c = p.text[p.pos];
  if (c === '{') return object(p);
  if (c === '[') return array(p);
  if (c === '"') return string(p);
  for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
    if (p.text.startsWith(word, p.pos)) { p.pos += word.length; return v; }
  }
  NUMBER.lastIndex = p.pos;
  const m = NUMBER.exec(p.text);
  if (!m) throw new AlertDecodeError(c === undefined ? 'unexpected end of JSON' : `unexpected ${JSON.stringify(c)}`, p.pos);
  p.pos = NUMBER.lastIndex;
  const n = Number(m[0]);
  return m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n) ? BigInt(m[0]) : n;
}

function string(p: Cursor): string {
  const start = p.pos;
  let i = start + 1;
  for (;;) {
    const c = p.text.charCodeAt(i);
    if (Number.isNaN(c)) throw new AlertDecodeError('unterminated string', start);
    if (c === 0x5c) { i += 2; continue; }
    if (c === 0x22) break;
    i++;
  }
  p.pos = i + 1;
  try {
    return JSON.parse(p.text.slice(start, p.pos)) as string;
  } catch (e) {
    throw new AlertDecodeError(`bad string: ${(e as Error).message}`, start);
  }
}

function expect(p: Cursor, ch: string): void {
  skipWs(p);
  if (p.text[p.pos] !== ch) throw new AlertDecodeError(`expected '${ch}'`, p.pos);
  p.pos++;
}

function array(p: Cursor): unknown[] {
  p.pos++;
  const out: unknown[] = [];
  skipWs(p);
  if (p.text[p.pos] === ']') { p.pos++; return out; }
  for (;;) {
    out.push(value(p));
    skipWs(p);
    if (p.text[p.pos] === ']') { p.pos++; return out; }
    expect(p, ',');
  }
}

function object(p: Cursor): Record<string, unknown> {
  p.pos++;
  const out: Record<string, unknown> = {};
  skipWs(p);
  if (p.text[p.pos] === '}') { p.pos++; return out; }
  for (;;) {
    skipWs(p);
    if (p.text[p.pos] !== '"') throw new AlertDecodeError('expected a key', p.pos);
    const key = string(p);
    expect(p, ':');
    // defineProperty: a "__proto__" key is data, as with JSON.parse.
    Object.defineProperty(out, key, { value: value(p), enumerable: true, writable: true, configurable: true });
    skipWs(p);
    if (p.text[p.pos] === '}') { p.pos++; return out; }
    expect(p, ',');
  }
}

/** An alert from the bus or a journal: Falco JSON, checked for what routing and delivery rely on. */
export function decodeAlert(data: Uint8Array | string): Alert {
  const a = decodeJson(typeof data === 'string' ? data : utf8d.decode(data)) as Partial<Alert> | null;
  if (typeof a !== 'object' || a === null || Array.isArray(a)) throw new AlertDecodeError('alert is not a JSON object', 0);
  for (const k of ['uuid', 'rule', 'priority', 'output', 'time'] as const) {
    if (typeof a[k] !== 'string') throw new AlertDecodeError(`alert field '${k}' is missing or not a string`, 0);
  }
  return a as Alert;
}
