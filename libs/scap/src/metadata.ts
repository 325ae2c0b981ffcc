/**
 * The metadata blocks written before the events: process list (versions 1-9), fd lists, user and group lists.
 * Each parser reads one block body and throws ScapError with the offset of the field it could not read.
 */
import { procListVersion, Block } from './blocks.ts';
import { ScapError } from './errors.ts';

/** libscap's fd types (scap_fd_type). */
export const ScapFdType = {
  Unknown: 0, File: 1, Directory: 2, Ipv4Sock: 3, Ipv6Sock: 4, Ipv4ServSock: 5, Ipv6ServSock: 6, Fifo: 7,
  UnixSock: 8, Event: 9, Unsupported: 10, Signalfd: 11, Eventpoll: 12, Inotify: 13, Timerfd: 14, Netlink: 15,
  FileV2: 16, Bpf: 17, Userfaultfd: 18, IoUring: 19, Memfd: 20, Pidfd: 21,
} as const;

export interface ScapFdEntry {
  fd: number;
  ino: bigint;
  type: number;
  /** file path, unix socket path, or the kernel's name for other kinds ("pipe:[123]"…) */
  name: string;
  openFlags: number;
  dev: number;
  sip: string;
  dip: string;
  sport: number;
  dport: number;
  /** libscap's l4 protocol code (2 tcp, 3 udp, 4 icmp, 5 raw) */
  l4proto: number;
}

export interface ScapThreadEntry {
  tid: number;
  pid: number;
  ptid: number;
  sid: number;
  vpgid: number;
  comm: string;
  exe: string;
  exepath: string;
  args: string[];
  cwd: string;
  fdlimit: bigint;
  flags: number;
  uid: number;
  gid: number;
  env: string[];
  vtid: number;
  vpid: number;
  cgroups: string[];
  root: string;
  tty: number;
  loginuid: number;
  exeWritable: boolean;
  capInheritable: bigint;
  capPermitted: bigint;
  capEffective: bigint;
  exeUpperLayer: boolean;
  exeFromMemfd: boolean;
  pidnsInitStartTs: bigint;
  fds: ScapFdEntry[];
}

export interface ScapUser { uid: number; gid: number; name: string; homedir: string; shell: string }
export interface ScapGroup { gid: number; name: string }

/** A bounds-checked little-endian cursor over one block body. */
export class Cursor {
  constructor(readonly buf: Buffer, public pos: number, readonly end: number, readonly blockType: number) {}

  need(n: number, what: string): void {
    if (this.pos + n > this.end) {
      throw new ScapError('corrupt', this.pos, `${what} runs past the end of its block`, null, this.blockType);
    }
  }
  u8(what: string): number { this.need(1, what); return this.buf[this.pos++]!; }
  u16(what: string): number { this.need(2, what); const v = this.buf.readUInt16LE(this.pos); this.pos += 2; return v; }
  u32(what: string): number { this.need(4, what); const v = this.buf.readUInt32LE(this.pos); this.pos += 4; return v; }
  i64(what: string): number { this.need(8, what); const v = Number(this.buf.readBigInt64LE(this.pos)); this.pos += 8; return v; }
  u64(what: string): bigint { this.need(8, what); const v = this.buf.readBigUInt64LE(this.pos); this.pos += 8; return v; }
  bytes(n: number, what: string): Buffer { this.need(n, what); const v = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return v; }
  /** a u16-length-prefixed string, not NUL-terminated on disk */
  str(what: string): string {
    const n = this.u16(`${what} length`);
    return cString(this.bytes(n, what));
  }
  ipv4(what: string): string {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`;
  }
  ipv6(what: string): string {
    return ipv6String(this.bytes(16, what));
  }
}

/** Up to the first NUL, as UTF-8. */
export function cString(b: Uint8Array): string {
  const z = b.indexOf(0);
  return Buffer.from(b.buffer, b.byteOffset, z < 0 ? b.length : z).toString('utf8');
}

/** NUL-separated strings; a trailing NUL does not add an empty item. */
export function splitNul(b: Uint8Array): string[] {
  if (b.length === 0) return [];
  const s = Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
  const parts = s.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Canonical IPv6 text (RFC 5952), with IPv4-mapped addresses as ::ffff:a.b.c.d. */
export function ipv6String(b: Uint8Array, at = 0): string {
  // read in place: no word array, copies or callbacks for an address decoded per event
  let mapped = b[at + 10] === 0xff && b[at + 11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) if (b[at + i] !== 0) mapped = false;
  if (mapped) return `::ffff:${b[at + 12]}.${b[at + 13]}.${b[at + 14]}.${b[at + 15]}`;
  // the longest run of two or more zero words (the first of equal ones) is written "::"
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (ipv6Word(b, at, i) !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && ipv6Word(b, at, j) === 0) j++;
    if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
    } else {
      out += (out === '' || out.endsWith(':') ? '' : ':') + ipv6Word(b, at, i).toString(16);
    }
  }
  return out;
}

function ipv6Word(b: Uint8Array, at: number, i: number): number {
  return (b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!;
}

export function parseProcList(c: Cursor, out: Map<number, ScapThreadEntry>): void {
  const version = procListVersion(c.blockType);
  while (c.end - c.pos >= 4) {
    const start = c.pos;
    const subLen = version === 9 ? c.u32('proc entry length') : 0;
    const t: ScapThreadEntry = {
      tid: c.i64('tid'), pid: c.i64('pid'), ptid: c.i64('ptid'), sid: -1, vpgid: -1, comm: '', exe: '', exepath: '',
      args: [], cwd: '', fdlimit: 0n, flags: 0, uid: 0, gid: 0, env: [], vtid: -1, vpid: -1, cgroups: [], root: '',
      tty: 0, loginuid: 0xffffffff, exeWritable: false, capInheritable: 0n, capPermitted: 0n, capEffective: 0n,
      exeUpperLayer: false, exeFromMemfd: false, pidnsInitStartTs: 0n, fds: [],
    };
    if (version >= 6) t.sid = c.i64('sid');
    if (version >= 8) t.vpgid = c.i64('vpgid');
    t.comm = c.str('comm');
    t.exe = c.str('exe');
    if (version >= 7) t.exepath = c.str('exepath');
    t.args = splitNul(c.bytes(c.u16('args length'), 'args'));
    t.cwd = c.str('cwd');
    t.fdlimit = c.u64('fdlimit');
    t.flags = c.u32('flags');
    t.uid = c.u32('uid');
    t.gid = c.u32('gid');
    if (version >= 2) {
      c.bytes(4 + 4 + 4 + 8 + 8, 'vm and page-fault counters');
      if (version >= 3) t.env = splitNul(c.bytes(c.u16('env length'), 'env'));
      if (version >= 4) {
        t.vtid = c.i64('vtid');
        t.vpid = c.i64('vpid');
        t.cgroups = splitNul(c.bytes(c.u16('cgroups length'), 'cgroups'));
        if (version >= 5) t.root = c.str('root');
      }
    }
    if (subLen) readV9Tail(c, t, start, subLen);
    out.set(t.tid, t);
  }
}

/** Fields appended to v9 entries over time; the entry length says which are present. */
function readV9Tail(c: Cursor, t: ScapThreadEntry, start: number, subLen: number): void {
  const end = start + subLen;
  if (end > c.end) throw new ScapError('corrupt', start, `proc entry length ${subLen} runs past its block`, null, c.blockType);
  const left = () => end - c.pos;
  // libs 0.10 inserted pidns_init_start_ts and tty before loginuid; older writers end with at most 29 bytes here.
  if (left() > 29) {
    if (left() >= 8) t.pidnsInitStartTs = c.u64('pidns_init_start_ts');
    if (left() >= 4) t.tty = c.u32('tty');
  }
  if (left() >= 4) t.loginuid = c.u32('loginuid');
  if (left() >= 1) t.exeWritable = c.u8('exe_writable') !== 0;
  if (left() >= 8) t.capInheritable = c.u64('cap_inheritable');
  if (left() >= 8) t.capPermitted = c.u64('cap_permitted');
  if (left() >= 8) t.capEffective = c.u64('cap_effective');
  if (left() >= 1) t.exeUpperLayer = c.u8('exe_upper_layer') !== 0;
  if (left() >= 8) c.u64('exe_ino');
  if (left() >= 8) c.u64('exe_ino_ctime');
  if (left() >= 8) c.u64('exe_ino_mtime');
  if (left() >= 1) t.exeFromMemfd = c.u8('exe_from_memfd') !== 0;
  c.pos = end;
}

export function parseFdList(c: Cursor, threads: Map<number, ScapThreadEntry>): void {
  const tid = c.i64('fd list tid');
  const owner = threads.get(tid);
  const v2 = c.blockType === Block.FdListV2;
  while (c.end - c.pos >= 4) {
    const start = c.pos;
    const subLen = v2 ? c.u32('fd entry length') : 0;
    const f: ScapFdEntry = {
      fd: c.i64('fd'), ino: c.u64('ino'), type: c.u8('fd type'), name: '', openFlags: 0, dev: 0,
      sip: '', dip: '', sport: 0, dport: 0, l4proto: 0,
    };
    switch (f.type) {
      case ScapFdType.Ipv4Sock:
        f.sip = c.ipv4('sip'); f.dip = c.ipv4('dip'); f.sport = c.u16('sport'); f.dport = c.u16('dport');
        f.l4proto = c.u8('l4proto');
        break;
      case ScapFdType.Ipv4ServSock:
        f.sip = c.ipv4('ip'); f.sport = c.u16('port'); f.l4proto = c.u8('l4proto');
        break;
      case ScapFdType.Ipv6Sock:
        f.sip = c.ipv6('sip'); f.dip = c.ipv6('dip'); f.sport = c.u16('sport'); f.dport = c.u16('dport');
        f.l4proto = c.u8('l4proto');
        break;
      case ScapFdType.Ipv6ServSock:
        f.sip = c.ipv6('ip'); f.sport = c.u16('port'); f.l4proto = c.u8('l4proto');
        break;
      case ScapFdType.UnixSock:
        c.u64('unix source'); c.u64('unix destination');
        f.name = c.str('unix path');
        break;
      case ScapFdType.FileV2:
        f.openFlags = c.u32('open flags');
        f.name = c.str('file name');
        if (subLen && subLen >= c.pos - start + 4) f.dev = c.u32('dev');
        break;
      case ScapFdType.Unknown:
        break;
      default:
        if (f.type > ScapFdType.Pidfd) {
          f.name = `unknown-type:[${f.type}]`;
          f.type = ScapFdType.Unsupported;
        } else {
          f.name = c.str('fd name');
        }
    }
    if (subLen) {
      if (c.pos - start > subLen) throw new ScapError('corrupt', start, `fd entry longer than its length ${subLen}`, null, c.blockType);
      c.pos = start + subLen;
    }
    owner?.fds.push(f);
  }
}

export function parseUserList(c: Cursor, users: Map<number, ScapUser>, groups: Map<number, ScapGroup>): void {
  const v2 = c.blockType === Block.UserListV2;
  while (c.end - c.pos >= 4) {
    const start = c.pos;
    const subLen = v2 ? c.u32('user entry length') : 0;
    const type = c.u8('user entry type');
    if (type === 0) {
      const u: ScapUser = { uid: c.u32('uid'), gid: c.u32('gid'), name: c.str('user name'), homedir: c.str('homedir'), shell: c.str('shell') };
      if (!users.has(u.uid)) users.set(u.uid, u);
    } else {
      const g: ScapGroup = { gid: c.u32('gid'), name: c.str('group name') };
      if (!groups.has(g.gid)) groups.set(g.gid, g);
    }
    if (subLen) c.pos = start + subLen;
  }
}
