import { CodecError } from '../errors.ts';

/** Integers in (-2^52, 2^52) zigzag into a varint that stays an exact double. */
const MAX_VARINT_INT = 2 ** 52;
/** Strings up to this many chars are deduplicated; longer ones are rarely repeated and costly to hash. */
const DEDUP_MAX_CHARS = 256;
/** Shorter ASCII strings are copied by hand behind a one-byte header (63 * 2 + 1 < 128); TextEncoder's call
 * overhead only pays for longer ones. */
const MANUAL_UTF8_MAX_CHARS = 63;

const utf8 = new TextEncoder();

/**
 * One growable output buffer, reused across batches, with the primitives of the batch layout: little-endian fixed
 * widths, LEB128 varints, zigzag for signed values and a per-batch string table (a string's first occurrence is
 * written inline and numbered; later ones are written as that number).
 */
export class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  private readonly strings = new Map<string, number>();
  private stringCount = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): void {
    this.pos = 0;
    this.strings.clear();
    this.stringCount = 0;
  }

  /** A copy of what was written, so the buffer can be reused at once. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16At(at: number, v: number): void {
    this.view.setUint16(at, v, true);
  }

  u32At(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  bigU64(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }

  bigI64(v: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.pos, v, true);
    this.pos += 8;
  }

  bytes(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^53. */
  varuint(v: number): void {
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    while (v > 0x7fffffff) {
      buf[pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  /** A signed integer field of the schema; anything else is a producer bug we refuse to hide. */
  int(v: number, field: string): void {
    if (!Number.isInteger(v) || v <= -MAX_VARINT_INT || v >= MAX_VARINT_INT) {
      throw new CodecError(this.pos, `${field} must be an integer in (-2^52, 2^52), got ${v}`);
    }
    this.varuint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** True when `int()` would encode v exactly (and -0 stays -0 only as a float). */
  static isVarintInt(v: number): boolean {
    return Number.isInteger(v) && v > -MAX_VARINT_INT && v < MAX_VARINT_INT && !Object.is(v, -0);
  }

  string(s: string): void {
    const known = this.strings.get(s);
    if (known !== undefined) {
      this.varuint(known * 2);
      return;
    }
    const n = s.length;
    if (n <= DEDUP_MAX_CHARS) this.strings.set(s, this.stringCount);
    this.stringCount++;
    if (n <= MANUAL_UTF8_MAX_CHARS && this.asciiInline(s)) return;
    // Worst case 3 bytes per UTF-16 unit; write after room for the largest header, then close the gap.
    const max = n * 3;
    const headerRoom = varuintSize(max * 2 + 1);
    this.ensure(headerRoom + max);
    const start = this.pos + headerRoom;
    const written = utf8.encodeInto(s, this.buf.subarray(start, start + max)).written;
    const header = written * 2 + 1;
    this.varuint(header);
    if (this.pos !== start) this.buf.copyWithin(this.pos, start, start + written);
    this.pos += written;
  }

  /** Writes s inline with a one-byte header if it is ASCII; false (nothing written) otherwise. */
  private asciiInline(s: string): boolean {
    const n = s.length;
    this.ensure(n + 1);
    const buf = this.buf;
    const start = this.pos + 1;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[start + i] = c;
    }
    buf[this.pos] = n * 2 + 1;
    this.pos = start + n;
    return true;
  }
}

function varuintSize(v: number): number {
  let size = 1;
  while (v > 0x7f) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}
