import { CodecError } from '../errors.ts';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Short strings are decoded by hand when ASCII; TextDecoder's call overhead only pays for longer ones. */
const MANUAL_ASCII_MAX_BYTES = 32;

// ignoreBOM keeps a leading U+FEFF as part of the string instead of stripping it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads what ByteWriter wrote. Every read checks the bytes left and throws CodecError with the offset, so truncated
 * or corrupt input never surfaces as a RangeError or a half-read value.
 */
export class ByteReader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos: number;
  readonly end: number;
  private readonly strings: string[] = [];

  constructor(buf: Uint8Array, start: number, end: number) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  fail(reason: string, at = this.pos): never {
    throw new CodecError(at, reason);
  }

  need(bytes: number, what: string): void {
    if (this.pos + bytes > this.end) this.fail(`truncated ${what}: needs ${bytes} bytes, ${this.end - this.pos} left`);
  }

  /** A count of items that each take at least `minBytes`, refused before anything is allocated for it. */
  count(minBytes: number, what: string): number {
    const at = this.pos;
    const n = this.varuint(what);
    if (n * minBytes > this.end - this.pos) this.fail(`${what} count ${n} exceeds the bytes left`, at);
    return n;
  }

  u8(what: string): number {
    if (this.pos >= this.end) this.fail(`truncated ${what}`);
    return this.buf[this.pos++]!;
  }

  /** A small enumeration byte whose valid values are given. */
  enumU8(valid: ReadonlySet<number>, what: string): number {
    const at = this.pos;
    const v = this.u8(what);
    if (!valid.has(v)) this.fail(`invalid ${what} ${v}`, at);
    return v;
  }

  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  bigU64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  bigI64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    // A copy: a view would pin the whole message buffer for as long as the batch lives.
    const v = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  varuint(what: string): number {
    const buf = this.buf;
    const at = this.pos;
    if (at < this.end) {
      const b = buf[at]!;
      if (b < 0x80) {
        this.pos = at + 1;
        return b;
      }
    }
    let v = 0;
    let scale = 1;
    let pos = at;
    for (;;) {
      if (pos >= this.end) this.fail(`truncated ${what} varint`, at);
      const b = buf[pos++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
      if (v > MAX_SAFE || scale > 2 ** 56) this.fail(`${what} varint too long`, at);
    }
    if (v > MAX_SAFE) this.fail(`${what} varint too large`, at);
    this.pos = pos;
    return v;
  }

  int(what: string): number {
    const z = this.varuint(what);
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** A reference to an index in [-1, limit), limit being the length of the table it points into. */
  ref(limit: number, what: string): number {
    const at = this.pos;
    const v = this.int(what);
    if (v < -1 || v >= limit) this.fail(`${what} ${v} outside [-1, ${limit})`, at);
    return v;
  }

  string(what: string): string {
    const at = this.pos;
    const header = this.varuint(what);
    if (header % 2 === 0) {
      const s = this.strings[header / 2];
      if (s === undefined) this.fail(`${what} refers to string ${header / 2} of ${this.strings.length}`, at);
      return s;
    }
    const len = (header - 1) / 2;
    this.need(len, what);
    const start = this.pos;
    let s: string | undefined;
    if (len <= MANUAL_ASCII_MAX_BYTES) s = this.ascii(start, len);
    if (s === undefined) {
      try {
        s = utf8.decode(this.buf.subarray(start, start + len));
      } catch (err) {
        throw new CodecError(start, `${what} is not valid UTF-8`, { cause: err });
      }
    }
    this.pos = start + len;
    this.strings.push(s);
    return s;
  }

  private ascii(start: number, len: number): string | undefined {
    const buf = this.buf;
    let s = '';
    for (let i = start; i < start + len; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return undefined;
      s += String.fromCharCode(c);
    }
    return s;
  }
}
