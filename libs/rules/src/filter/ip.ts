/** IP addresses and networks for `fd.ip = 1.2.3.4` and `fd.net = 10.0.0.0/8`, IPv4 and IPv6. */

export interface IpAddr {
  v6: boolean;
  bits: bigint;
}

export interface IpNet {
  v6: boolean;
  /** the network part: the address shifted right by (width - prefix) */
  bits: bigint;
  prefix: number;
  /** `bits` as a number for IPv4, so the per-event check stays in plain arithmetic */
  v4Bits: number;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIp(s: string): IpAddr | null {
  const m = V4.exec(s);
  if (m) {
    let bits = 0n;
    for (let i = 1; i <= 4; i++) {
      const o = Number(m[i]);
      if (o > 255) return null;
      bits = (bits << 8n) | BigInt(o);
    }
    return { v6: false, bits };
  }
  return parseIpv6(s);
}

function parseIpv6(s: string): IpAddr | null {
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const words = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIp(p);
        if (!v4 || v4.v6) return null;
        out.push(Number(v4.bits >> 16n), Number(v4.bits & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !tail) return null;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  let bits = 0n;
  for (const w of [...head, ...new Array<number>(fill).fill(0), ...tail]) bits = (bits << 16n) | BigInt(w);
  return { v6: true, bits };
}

/** RFC 5952 text: what our records carry, so literals compare as strings. */
export function formatIp(ip: IpAddr): string {
  if (!ip.v6) {
    const b = Number(ip.bits);
    return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}`;
  }
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((ip.bits >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** `10.0.0.0/8`; a bare address is a single-host network. */
export function parseNet(s: string): IpNet | null {
  const slash = s.indexOf('/');
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!ip) return null;
  const max = ip.v6 ? 128 : 32;
  const prefix = slash < 0 ? max : Number(s.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (slash >= 0 && !/^\d+$/.test(s.slice(slash + 1)))) {
    return null;
  }
  const bits = ip.bits >> BigInt(max - prefix);
  return { v6: ip.v6, bits, prefix, v4Bits: ip.v6 ? 0 : Number(bits) };
}

/** Dotted IPv4 to its 32 bits, -1 if it is not one. Char by char: a regex match would allocate per event. */
function ipv4Bits(s: string): number {
  let bits = 0;
  let octet = -1;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet < 0 ? c - 48 : octet * 10 + (c - 48);
      if (octet > 255) return -1;
    } else if (c === 46 && octet >= 0 && dots < 3) {
      bits = bits * 256 + octet;
      octet = -1;
      dots++;
    } else return -1;
  }
  return dots === 3 && octet >= 0 ? bits * 256 + octet : -1;
}

/** Fast path for IPv4 field values (the common case): no bigint and no allocation per event. */
export function netContains(net: IpNet, value: string): boolean {
  if (!net.v6) {
    const n = ipv4Bits(value);
    if (n < 0) return false;
    return net.prefix === 0 || Math.floor(n / 2 ** (32 - net.prefix)) === net.v4Bits;
  }
  const ip = parseIpv6(value);
  return ip !== null && ip.bits >> BigInt(128 - net.prefix) === net.bits;
}
