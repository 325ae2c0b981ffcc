/**
 * Opening a capture: decompress (gzip or plain), read the section header and the metadata blocks, then hand out
 * events one block at a time. A truncated or corrupt file stops the event stream with a ScapError carrying the
 * byte offset; everything before it has already been delivered.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { constants as zc, gunzipSync } from 'node:zlib';
import { Block, eventBlockShape, MAX_MAJOR_VERSION, procListVersion, SECTION_MAGIC } from './blocks.ts';
import { ScapError } from './errors.ts';
import {
  Cursor, parseFdList, parseProcList, parseUserList, type ScapGroup, type ScapThreadEntry, type ScapUser,
} from './metadata.ts';
import { PPME } from './ppme-table.ts';

export interface CaptureMetadata {
  majorVersion: number;
  minorVersion: number;
  threads: Map<number, ScapThreadEntry>;
  users: Map<number, ScapUser>;
  groups: Map<number, ScapGroup>;
}

export interface Capture {
  file: string | null;
  /** the decompressed bytes */
  data: Buffer;
  meta: CaptureMetadata;
  /** offset of the first event block */
  eventsAt: number;
  /** set when the compressed stream itself was cut short: reported once the readable part is consumed */
  streamError: ScapError | null;
  /** a plain file read through a window: `data` then holds only its beginning, cursors read the rest in turn */
  window: CaptureWindow | null;
}

export interface CaptureWindow {
  path: string;
  /** the file's size in bytes */
  size: number;
  /** bytes a cursor reads at a time (more when one block is larger) */
  bytes: number;
}

const BLOCK_OVERHEAD = 12;
/** a few hundred events: enough calls for the cursor to have collected feedback, far fewer than optimizing it takes */
const PRIMING_BYTES = 16384;

/** Little-endian u32 without Buffer's argument checks (the caller has checked the bounds): the per-event hot path. */
function u32(b: Buffer, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
}

function decompress(raw: Buffer): { data: Buffer; error: ScapError | null } {
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return { data: raw, error: null };
  try {
    return { data: gunzipSync(raw), error: null };
  } catch (err) {
    // Keep what decompresses: a capture cut short still yields its first events.
    let data: Buffer;
    try {
      data = gunzipSync(raw, { finishFlush: zc.Z_SYNC_FLUSH });
    } catch {
      return { data: Buffer.alloc(0), error: new ScapError('corrupt', 0, `not a readable gzip stream: ${(err as Error).message}`) };
    }
    return { data, error: new ScapError('truncated', data.length, `compressed stream ends early: ${(err as Error).message}`) };
  }
}

export function openCapture(raw: Buffer, file: string | null = null): Capture {
  const { data, error } = decompress(raw);
  const fail = (e: ScapError): never => {
    throw file ? e.withFile(file) : e;
  };
  if (data.length < BLOCK_OVERHEAD + 16) {
    fail(error ?? new ScapError(data.length === 0 ? 'corrupt' : 'truncated', data.length, 'too short for a section header'));
  }
  if (data.readUInt32LE(0) !== Block.Section || data.readUInt32LE(8) !== SECTION_MAGIC) {
    fail(new ScapError('corrupt', 0, 'not a scap capture (no section header)'));
  }
  const meta: CaptureMetadata = {
    majorVersion: data.readUInt16LE(12), minorVersion: data.readUInt16LE(14), threads: new Map(), users: new Map(),
    groups: new Map(),
  };
  if (meta.majorVersion > MAX_MAJOR_VERSION) fail(new ScapError('version', 12, `major version ${meta.majorVersion}`));
  let pos = data.readUInt32LE(4);
  try {
    while (pos < data.length) {
      const { type, end } = blockAt(data, pos);
      if (eventBlockShape(type)) break;
      readMetadataBlock(data, type, pos, end, meta);
      pos = end;
    }
  } catch (e) {
    if (e instanceof ScapError) fail(e.code === 'truncated' && error ? error : e);
    throw e;
  }
  return { file, data, meta, eventsAt: pos, streamError: error, window: null };
}

/** Validates a block's lengths; returns its type and the offset just past its trailer. */
export function blockAt(data: Buffer, pos: number): { type: number; end: number } {
  if (pos + 8 > data.length) throw new ScapError('truncated', pos, 'file ends inside a block header');
  const type = data.readUInt32LE(pos);
  const len = data.readUInt32LE(pos + 4);
  if (len < BLOCK_OVERHEAD || len % 4 !== 0) throw new ScapError('corrupt', pos, `invalid block length ${len}`, null, type);
  const end = pos + len;
  if (end > data.length) throw new ScapError('truncated', pos, `block of ${len} bytes ends past the end of the file`, null, type);
  const trailer = data.readUInt32LE(end - 4);
  if (trailer !== len) throw new ScapError('corrupt', end - 4, `block trailer ${trailer} does not match length ${len}`, null, type);
  return { type, end };
}

function readMetadataBlock(data: Buffer, type: number, pos: number, end: number, meta: CaptureMetadata): void {
  const c = new Cursor(data, pos + 8, end - 4, type);
  if (procListVersion(type)) parseProcList(c, meta.threads);
  else if (type === Block.FdList || type === Block.FdListInt || type === Block.FdListV2) parseFdList(c, meta.threads);
  else if (type === Block.UserList || type === Block.UserListInt || type === Block.UserListV2) parseUserList(c, meta.users, meta.groups);
  // machine info, interface lists and unknown blocks carry nothing the event model needs
}

function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Walks the event blocks. After `next()` returns true the header fields describe the current event; `params()` then
 * fills in where each parameter's value starts (`offs[i]`) and its length (`lens[i]`) — done on demand, since most
 * events of a replay are only counted. Metadata blocks found between events (merged captures) are applied.
 */
export class EventCursor {
  /** the next block's offset in `data` */
  pos: number;
  /** the bytes the current event's offsets point into: the whole capture, or the window read last */
  data: Buffer;
  /** the current block's file offset */
  blockOffset = 0;
  cpu = 0;
  flags = 0;
  tid = 0;
  type = 0;
  nparams = 0;
  /** the timestamp as two 32-bit halves: most events never need the bigint */
  /** where the current event's timestamp is in `data`, read as a bigint only when asked (most events never need it) */
  private tsAt = 0;
  /** a view of `data` that reads the 64-bit timestamp as one bigint */
  private view: DataView;
  private hdrAt = 0;
  private evEnd = 0;
  private blockType = 0;
  private v2 = true;
  private lenSize = 2;
  /** parameter lengths and value offsets of the current event (reused) */
  readonly lens = new Uint32Array(64);
  readonly offs = new Uint32Array(64);
  private done = false;
  /** file offset of data[0], and how many bytes of data are valid (windowed captures) */
  private base = 0;
  private limit: number;
  private blockAt = 0;
  /** this cursor's window buffer, reused from one read to the next */
  private own: Buffer | null = null;

  constructor(readonly capture: Capture) {
    this.pos = capture.eventsAt;
    this.data = capture.data;
    this.view = viewOf(capture.data);
    // a windowed cursor stops early in the head it was given, so its first refill runs (and leaves its type
    // feedback) before the event loop is optimized, instead of deoptimizing it at the first window boundary
    this.limit = capture.window ? Math.min(capture.eventsAt + PRIMING_BYTES, capture.data.length) : capture.data.length;
  }

  get ts(): bigint {
    // one allocation, and no branch whose first use after optimization would deoptimize its callers
    return this.view.getBigUint64(this.tsAt, true);
  }

  /** false at the clean end of the file; throws ScapError (with the file name) on a bad block. */
  next(): boolean {
    if (this.done) return false;
    try {
      return this.advance();
    } catch (e) {
      throw this.fail(e);
    }
  }

  /** Locates the current event's parameters; throws ScapError if they contradict the event's length. */
  params(): void {
    try {
      this.locateParams();
    } catch (e) {
      throw this.fail(e);
    }
  }

  private fail(e: unknown): unknown {
    this.done = true;
    if (e instanceof ScapError) {
      // offsets were taken within the window: report them as file offsets
      const at = this.base === 0 ? e : new ScapError(e.code, e.offset + this.base, e.reason, null, e.blockType);
      const err = e.code === 'truncated' && this.capture.streamError ? this.capture.streamError : at;
      return this.capture.file ? err.withFile(this.capture.file) : err;
    }
    return e;
  }

  private advance(): boolean {
    for (;;) {
      const data = this.data;
      const size = this.limit;
      const at = this.pos;
      // how many bytes from `at` the window lacks: none, the block header's, or the whole block's
      let short = 0;
      let blockType = 0;
      let len = 0;
      if (at >= size) {
        short = 1;
      } else if (at + 8 > size) {
        short = 8;
      } else {
        blockType = u32(data, at);
        len = u32(data, at + 4);
        if (len < BLOCK_OVERHEAD || (len & 3) !== 0) throw new ScapError('corrupt', at, `invalid block length ${len}`, null, blockType);
        if (at + len > size) short = len;
      }
      if (short > 0) {
        // one refill call for all three cases, so the first refill gives it the feedback the optimized loop uses
        if (this.refill(at, short, len, blockType)) continue;
        return false;
      }
      const end = at + len;
      const trailer = u32(data, end - 4);
      if (trailer !== len) throw new ScapError('corrupt', end - 4, `block trailer ${trailer} does not match length ${len}`, null, blockType);
      this.pos = end;
      let v2: boolean;
      let flags: boolean;
      switch (blockType) {
        case Block.EventV2: v2 = true; flags = false; this.lenSize = 2; break;
        case Block.Event: case Block.EventInt: v2 = false; flags = false; this.lenSize = 2; break;
        case Block.EventFlagsV2: v2 = true; flags = true; this.lenSize = 2; break;
        case Block.EventFlags: v2 = false; flags = true; this.lenSize = 2; break;
        case Block.EventV2Large: v2 = true; flags = false; this.lenSize = 4; break;
        case Block.EventFlagsV2Large: v2 = true; flags = true; this.lenSize = 4; break;
        default:
          if (blockType !== Block.Section) readMetadataBlock(data, blockType, at, end, this.capture.meta);
          continue;
      }
      this.blockOffset = this.base + at;
      this.blockAt = at;
      this.blockType = blockType;
      this.v2 = v2;
      let p = at + 8;
      const bodyEnd = end - 4;
      this.cpu = data[p]! | (data[p + 1]! << 8);
      p += 2;
      if (flags) {
        this.flags = u32(data, p);
        p += 4;
      } else {
        this.flags = 0;
      }
      const hdrLen = v2 ? 26 : 22;
      if (p + hdrLen > bodyEnd) throw new ScapError('corrupt', at, 'event block too short for its header', null, blockType);
      this.tsAt = p;
      // most tids fit 32 bits: kept a small integer, not a double (a double field boxes on every read until optimized)
      const tidHi = u32(data, p + 12) | 0;
      this.tid = tidHi === 0 ? u32(data, p + 8) : u32(data, p + 8) + tidHi * 0x100000000;
      const evLen = u32(data, p + 16);
      this.type = data[p + 20]! | (data[p + 21]! << 8);
      this.evEnd = p + evLen;
      if (this.evEnd > bodyEnd || evLen < hdrLen) {
        throw new ScapError('corrupt', p + 16, `event length ${evLen} does not fit its block`, null, blockType);
      }
      this.hdrAt = p;
      this.nparams = -1;
      return true;
    }
  }

  /**
   * More bytes for the block at `at` (`len` 0: its header is cut too): true when the window now holds them, false at
   * the clean end of the file, a ScapError when the file ends inside the block. The end is handled here rather than
   * in advance: code first run after advance is optimized would deoptimize it, at the end of every replay.
   */
  private refill(at: number, need: number, len: number, blockType: number): boolean {
    if (this.readWindow(at, need)) return true;
    if (at >= this.limit) {
      this.done = true;
      if (this.capture.streamError) throw this.capture.streamError;
      return false;
    }
    if (len === 0) throw new ScapError('truncated', at, 'file ends inside a block header');
    throw new ScapError('truncated', at, `block of ${len} bytes ends past the end of the file`, null, blockType);
  }

  /**
   * Windowed captures: moves the bytes from `at` on to the start of this cursor's window and reads the file after
   * them, so that at least `need` bytes from `at` are in memory. False when the file has no more bytes to give.
   */
  private readWindow(at: number, need: number): boolean {
    const w = this.capture.window;
    if (!w) return false;
    const from = this.base + at;
    const readFrom = this.base + this.limit;
    if (readFrom >= w.size || from + need > w.size) return false;
    const keep = this.limit - at;
    let buf = this.own;
    if (!buf || buf.length < need) buf = Buffer.allocUnsafe(Math.max(w.bytes, need));
    if (buf === this.data) buf.copyWithin(0, at, this.limit);
    else this.data.copy(buf, 0, at, this.limit);
    let filled = keep;
    const fd = openSync(w.path, 'r');
    try {
      while (filled < buf.length) {
        const n = readSync(fd, buf, filled, buf.length - filled, from + filled);
        if (n === 0) break;
        filled += n;
      }
    } finally {
      closeSync(fd);
    }
    this.own = buf;
    if (buf !== this.data) this.view = viewOf(buf);
    this.data = buf;
    this.base = from;
    this.limit = filled;
    this.pos = 0;
    return true;
  }

  private locateParams(): void {
    if (this.nparams >= 0) return;
    const data = this.data;
    const p = this.hdrAt;
    const lenSize = this.lenSize;
    const lensAt = p + (this.v2 ? 26 : 22);
    const n = this.v2 ? u32(data, p + 22) : this.inferParamCount(data, lensAt, this.evEnd, lenSize);
    if (n > this.lens.length) throw new ScapError('corrupt', p + 22, `event has ${n} parameters`, null, this.blockType);
    let v = lensAt + n * lenSize;
    // the lengths lie inside the block (checked by advance) once they end before the event does
    if (v > this.evEnd) throw new ScapError('corrupt', lensAt, 'event parameters run past the event', null, this.blockType);
    const lens = this.lens;
    const offs = this.offs;
    for (let i = 0; i < n; i++) {
      const q = lensAt + i * lenSize;
      const l = lenSize === 2 ? data[q]! | (data[q + 1]! << 8) : u32(data, q);
      lens[i] = l;
      offs[i] = v;
      v += l;
    }
    if (v > this.evEnd) throw new ScapError('corrupt', lensAt, 'event parameters run past the event', null, this.blockType);
    this.nparams = n;
  }

  /** v1 events do not store nparams: the largest count whose lengths add up to the event size, as libscap does. */
  private inferParamCount(data: Buffer, lensAt: number, evEnd: number, lenSize: number): number {
    const max = PPME[this.type]?.types.length ?? 0;
    for (let n = max; n >= 0; n--) {
      let v = lensAt + n * lenSize;
      if (v > evEnd) continue;
      for (let i = 0; i < n; i++) v += lenSize === 2 ? data.readUInt16LE(lensAt + 2 * i) : data.readUInt32LE(lensAt + 4 * i);
      if (v === evEnd) return n;
      if (v < evEnd) break;
    }
    throw new ScapError('corrupt', this.blockAt, `cannot infer the parameter count of a v1 event of type ${this.type}`, null, this.blockType);
  }
}
