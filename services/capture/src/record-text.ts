/**
 * Reading the text inside kernel records: path components, C strings, socket addresses and tuples. Pure functions
 * of the record bytes, used by tracker.ts.
 */
import { readFileSync } from 'node:fs';
import { SocketFamily, type SockAddr, type SockTuple } from '@peregrine/event';
import { LAYOUT } from './abi.ts';

const S = LAYOUT.pg_syscall;

/** Leaf-first NUL-terminated components → an absolute path. */
export function joinComponents(buf: Buffer, start: number, len: number): string {
  if (len === 0) return '/';
  const parts = buf.toString('utf8', start, start + len - 1).split('\0');
  parts.reverse();
  return `/${parts.join('/')}`;
}

export function readProcCgroup(pid: number): string {
  try { return readFileSync(`/proc/${pid}/cgroup`, 'utf8'); } catch { return ''; }
}

export function cString(buf: Buffer, start: number, len: number): string {
  const nul = buf.indexOf(0, start);
  return buf.toString('utf8', start, nul >= 0 && nul < start + len ? nul : start + len);
}

/**
 * C strings that repeat (paths, comms) decoded once: a direct-mapped cache keyed by a hash of the bytes, checked
 * byte for byte. A hit allocates nothing and hands back the same string, which batches then share.
 */
export class StringInterner {
  private readonly keys: (Uint8Array | null)[];
  private readonly strings: string[];
  private readonly mask: number;

  /** `slots`: a power of two; `maxLen`: longer strings are decoded each time (rarely repeated, costly to compare). */
  constructor(slots = 4096, private readonly maxLen = 256) {
    this.keys = new Array<Uint8Array | null>(slots).fill(null);
    this.strings = new Array<string>(slots).fill('');
    this.mask = slots - 1;
  }

  /** The string at `start`, up to its NUL or `len` bytes, as `cString` reads it. */
  cString(buf: Buffer, start: number, len: number): string {
    const limit = start + Math.min(len, this.maxLen);
    let h = 0x811c9dc5;
    let end = start;
    for (; end < limit; end++) {
      const c = buf[end];
      if (c === 0) break;
      h = Math.imul(h ^ c, 16777619);
    }
    if (end === limit && len > this.maxLen && buf[end] !== 0) return cString(buf, start, len);
    const n = end - start;
    const slot = (h ^ n) & this.mask;
    const key = this.keys[slot];
    if (key !== null && key.length === n) {
      let i = 0;
      while (i < n && key[i] === buf[start + i]) i++;
      if (i === n) return this.strings[slot];
    }
    const str = buf.toString('utf8', start, end);
    this.keys[slot] = new Uint8Array(buf.subarray(start, end));
    this.strings[slot] = str;
    return str;
  }
}

function ip4(buf: Buffer, o: number): string {
  return `${buf[o]}.${buf[o + 1]}.${buf[o + 2]}.${buf[o + 3]}`;
}

function ip6(buf: Buffer, o: number): string {
  if (buf.readUInt32BE(o) === 0 && buf.readUInt32BE(o + 4) === 0 && buf.readUInt32BE(o + 8) === 0xffff) return `::ffff:${ip4(buf, o + 12)}`;
  const words: string[] = [];
  for (let i = 0; i < 8; i++) words.push(buf.readUInt16BE(o + 2 * i).toString(16));
  return words.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Kernel socket endpoints → libsinsp's tuple: client side first (for accept, the peer is the client). */
export function socketTuple(buf: Buffer, off: number, serverSide: boolean): SockTuple | null {
  const family = buf.readUInt16LE(off + S.sk_family);
  if (family !== 2 && family !== 10) return null;
  const ip = family === 2 ? ip4 : ip6;
  const local = ip(buf, off + S.saddr);
  const remote = ip(buf, off + S.daddr);
  const lport = buf.readUInt16LE(off + S.sport);
  const rport = buf.readUInt16LE(off + S.dport);
  const fam = family === 2 ? SocketFamily.Inet : SocketFamily.Inet6;
  return serverSide
    ? { family: fam, sip: remote, sport: rport, dip: local, dport: lport }
    : { family: fam, sip: local, sport: lport, dip: remote, dport: rport };
}

export function sockaddr(buf: Buffer, o: number, len: number): SockAddr | null {
  if (len < 2) return null;
  const family = buf.readUInt16LE(o);
  if (family === 2 && len >= 8) return { family: SocketFamily.Inet, addr: ip4(buf, o + 4), port: buf.readUInt16BE(o + 2) };
  if (family === 10 && len >= 24) return { family: SocketFamily.Inet6, addr: ip6(buf, o + 8), port: buf.readUInt16BE(o + 2) };
  if (family === 1) {
    const end = buf.indexOf(0, o + 2);
    const stop = end < 0 || end > o + len ? o + len : end;
    // abstract sockets start with NUL: libsinsp shows them with a leading '@'
    if (stop === o + 2 && len > 3) return { family: SocketFamily.Unix, addr: `@${cString(buf, o + 3, len - 3)}`, port: 0 };
    return { family: SocketFamily.Unix, addr: buf.toString('utf8', o + 2, stop), port: 0 };
  }
  return null;
}
