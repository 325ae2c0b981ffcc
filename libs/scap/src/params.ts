/**
 * Decoding one event parameter from its wire bytes into the event model's ArgValue, by libscap type.
 * Lengths come from the event itself, so short (older) encodings of a type decode too.
 */
import type { ArgValue, ScapType, SockAddr, SockTuple } from '@peregrine/event';
import { SocketFamily } from '@peregrine/event';
import { SYSCALL_NAMES } from './syscall-names.ts';
import { ipv6String, splitNul } from './metadata.ts';

function ipv4At(b: Buffer, p: number): string {
  return `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`;
}

function u32At(b: Buffer, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
}

function str(b: Buffer, p: number, len: number): string {
  let end = p;
  const stop = p + len;
  while (end < stop && b[end] !== 0) end++;
  return b.toString('utf8', p, end);
}

/** An unsigned integer of the parameter's own width (older encodings are narrower). */
export function unsignedAt(b: Buffer, p: number, len: number): number {
  switch (len) {
    case 1: return b[p]!;
    case 2: return b.readUInt16LE(p);
    case 4: return b.readUInt32LE(p);
    // as Number(u64) rounds it, without a BigInt per value (the sum of two exact doubles is rounded once)
    case 8: return (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16)) * 0x100000000 + b[p + 7]! * 0x100000000000000 + u32At(b, p);
    default: return 0;
  }
}

function signed(b: Buffer, p: number, len: number): number {
  switch (len) {
    case 1: return b.readInt8(p);
    case 2: return b.readInt16LE(p);
    case 4: return b.readInt32LE(p);
    case 8: return (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) * 0x100000000 + u32At(b, p);
    default: return 0;
  }
}

export function decodeSockAddr(b: Buffer, p: number, len: number): SockAddr | null {
  if (len < 1) return null;
  const family = b[p]!;
  if (family === SocketFamily.Inet && len >= 7) {
    return { family: SocketFamily.Inet, addr: ipv4At(b, p + 1), port: b.readUInt16LE(p + 5) };
  }
  if (family === SocketFamily.Inet6 && len >= 19) {
    return { family: SocketFamily.Inet6, addr: ipv6String(b, p + 1), port: b.readUInt16LE(p + 17) };
  }
  if (family === SocketFamily.Unix) return { family: SocketFamily.Unix, addr: str(b, p + 1, len - 1), port: 0 };
  return { family: family as SocketFamily, addr: '', port: 0 };
}

/** For unix tuples, sip/dip carry the kernel socket addresses in hex and dip's path follows in `dip` after a space. */
export function decodeSockTuple(b: Buffer, p: number, len: number): SockTuple | null {
  if (len < 1) return null;
  const family = b[p]!;
  if (family === SocketFamily.Inet && len >= 13) {
    return {
      family: SocketFamily.Inet, sip: ipv4At(b, p + 1), sport: b.readUInt16LE(p + 5), dip: ipv4At(b, p + 7),
      dport: b.readUInt16LE(p + 11),
    };
  }
  if (family === SocketFamily.Inet6 && len >= 37) {
    return {
      family: SocketFamily.Inet6, sip: ipv6String(b, p + 1), sport: b.readUInt16LE(p + 17),
      dip: ipv6String(b, p + 19), dport: b.readUInt16LE(p + 35),
    };
  }
  if (family === SocketFamily.Unix && len >= 17) {
    const src = b.readBigUInt64LE(p + 1).toString(16);
    const dst = b.readBigUInt64LE(p + 9).toString(16);
    return { family: SocketFamily.Unix, sip: src, sport: 0, dip: `${dst} ${str(b, p + 17, len - 17)}`, dport: 0 };
  }
  return { family: family as SocketFamily, sip: '', sport: 0, dip: '', dport: 0 };
}

/** One parameter. `stringArray` splits NUL-separated buffers (execve args/env, cgroups) into string[]. */
export function decodeParam(b: Buffer, p: number, len: number, type: ScapType, stringArray: boolean): ArgValue {
  switch (type) {
    case 'errno': case 'fd': case 'pid': case 'int8': case 'int16': case 'int32':
      return signed(b, p, len);
    case 'int64': case 'reltime': case 'abstime':
      return len === 8 ? (type === 'int64' ? b.readBigInt64LE(p) : b.readBigUInt64LE(p)) : BigInt(signed(b, p, len));
    case 'uint64':
      return len === 8 ? b.readBigUInt64LE(p) : BigInt(unsignedAt(b, p, len));
    case 'uint8': case 'uint16': case 'uint32': case 'flags8': case 'flags16': case 'flags32': case 'enumflags8':
    case 'enumflags16': case 'enumflags32': case 'mode': case 'uid': case 'gid': case 'sigtype': case 'port':
    case 'l4proto': case 'sockfamily': case 'bool': case 'sigset':
      return unsignedAt(b, p, len);
    case 'charbuf': case 'fspath': case 'fsrelpath': case 'charbufarray': case 'charbuf_pair_array':
      return str(b, p, len);
    case 'bytebuf':
      // a copy: the bytes under it may be a capture window that the next read overwrites
      return stringArray ? splitNul(b.subarray(p, p + len)) : Buffer.from(b.subarray(p, p + len));
    case 'syscallid': {
      const id = unsignedAt(b, p, len);
      return SYSCALL_NAMES[id] ?? String(id);
    }
    case 'sockaddr':
      return decodeSockAddr(b, p, len);
    case 'socktuple':
      return decodeSockTuple(b, p, len);
    case 'fdlist': {
      if (len < 2) return '';
      const n = b.readUInt16LE(p);
      const items: string[] = [];
      for (let i = 0, q = p + 2; i < n && q + 10 <= p + len; i++, q += 10) {
        items.push(`${Number(b.readBigInt64LE(q))}:${b.readUInt16LE(q + 8)}`);
      }
      return items.join(' ');
    }
    case 'dyn':
      // an index into the parameter's dynamic type table, then the value
      return len > 1 ? signed(b, p + 1, len - 1) : null;
    case 'ipv4addr':
      return len >= 4 ? ipv4At(b, p) : null;
    case 'ipv6addr':
      return len >= 16 ? ipv6String(b, p) : null;
    case 'double':
      return len === 8 ? b.readDoubleLE(p) : null;
    default:
      return Buffer.from(b.subarray(p, p + len));
  }
}
