/**
 * Reads processes and their open fds from /proc, so what existed before capture started (or what capture missed)
 * resolves: parent, exe, cwd, args, credentials, container, and fds including sockets (from /proc/net).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { FdRole, FdType, L4Proto } from '@peregrine/event';
import { containerFromProcCgroup } from './container-id.ts';
import { newFd, newProc, type FdState, type ProcState } from './state.ts';
import { bootToEpochNs } from './clock.ts';

const TICK_NS = 10_000_000n; // USER_HZ = 100

const read = (p: string): string | null => { try { return readFileSync(p, 'utf8'); } catch { return null; } };
const link = (p: string): string | null => { try { return readlinkSync(p); } catch { return null; } };

interface SockInfo {
  type: FdType;
  l4proto: L4Proto;
  sip: string;
  sport: number;
  dip: string;
  dport: number;
  listening: boolean;
  path: string;
}

function hexIp4(h: string): string {
  const n = parseInt(h, 16);
  return `${n & 255}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.${n >>> 24}`;
}

function hexIp6(h: string): string {
  const words: string[] = [];
  for (let i = 0; i < 4; i++) {
    const w = h.slice(i * 8, i * 8 + 8);
    const le = w.match(/../g)!.reverse().join('');
    words.push(le.slice(0, 4), le.slice(4, 8));
  }
  const v4mapped = words.slice(0, 5).every((w) => w === '0000') && words[5] === 'ffff';
  if (v4mapped) return `::ffff:${parseInt(words[6].slice(0, 2), 16)}.${parseInt(words[6].slice(2), 16)}.${parseInt(words[7].slice(0, 2), 16)}.${parseInt(words[7].slice(2), 16)}`;
  return words.map((w) => parseInt(w, 16).toString(16)).join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** socket inode → endpoint, from one process's view of /proc/net (its network namespace). */
export function readSockets(pid: number | 'self'): Map<number, SockInfo> {
  const out = new Map<number, SockInfo>();
  for (const [file, proto, v6] of [['tcp', L4Proto.Tcp, false], ['udp', L4Proto.Udp, false], ['tcp6', L4Proto.Tcp, true], ['udp6', L4Proto.Udp, true]] as const) {
    const text = read(`/proc/${pid}/net/${file}`);
    if (!text) continue;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [la, lp] = f[1].split(':');
      const [ra, rp] = f[2].split(':');
      const ip = v6 ? hexIp6 : hexIp4;
      out.set(Number(f[9]), {
        type: v6 ? FdType.Ipv6 : FdType.Ipv4, l4proto: proto, sip: ip(la), sport: parseInt(lp, 16), dip: ip(ra),
        dport: parseInt(rp, 16), listening: f[3] === '0A', path: '',
      });
    }
  }
  const unix = read(`/proc/${pid}/net/unix`);
  for (const line of unix?.split('\n').slice(1) ?? []) {
    const f = line.trim().split(/\s+/);
    if (f.length < 7) continue;
    out.set(Number(f[6]), { type: FdType.Unix, l4proto: L4Proto.Unknown, sip: '', sport: 0, dip: '', dport: 0, listening: f[5] === '01', path: f[7] ?? '' });
  }
  return out;
}

function fdFromLink(num: number, target: string, sockets: Map<number, SockInfo>): FdState {
  const m = /^(socket|pipe|anon_inode):\[?([^\]]*)\]?$/.exec(target);
  if (!m) {
    const fd = newFd(num, FdType.File, target);
    return fd;
  }
  if (m[1] === 'pipe') { const fd = newFd(num, FdType.Pipe, target); fd.ino = Number(m[2]); return fd; }
  if (m[1] === 'socket') {
    const s = sockets.get(Number(m[2]));
    if (!s) return newFd(num, FdType.Unknown, target);
    const fd = newFd(num, s.type, s.type === FdType.Unix ? s.path : `${s.sip}:${s.sport}->${s.dip}:${s.dport}`);
    fd.l4proto = s.l4proto;
    fd.sip = s.sip; fd.sport = s.sport; fd.dip = s.dip; fd.dport = s.dport;
    fd.role = s.listening ? FdRole.Server : FdRole.Client;
    if (s.listening && s.type !== FdType.Unix) fd.name = `${s.sip}:${s.sport}`;
    return fd;
  }
  const kind = m[2];
  const type = kind === 'eventfd' ? FdType.Event : kind === 'signalfd' ? FdType.Signalfd : kind === '[eventpoll]' || kind === 'eventpoll' ? FdType.Eventpoll
    : kind === 'inotify' ? FdType.Inotify : kind === 'timerfd' ? FdType.Timerfd : kind === 'bpf-map' || kind.startsWith('bpf') ? FdType.Bpf
    : kind === '[userfaultfd]' || kind === 'userfaultfd' ? FdType.Userfaultfd : FdType.Unknown;
  return newFd(num, type, target);
}

/** One process from /proc, or null if it is gone. `sockets` may be shared across a scan of one namespace. */
export function scanProc(pid: number, sockets?: Map<number, SockInfo>, withFds = true): ProcState | null {
  const stat = read(`/proc/${pid}/stat`);
  const status = read(`/proc/${pid}/status`);
  if (!stat || !status) return null;
  const p = newProc(pid);
  const close = stat.lastIndexOf(')');
  p.name = stat.slice(stat.indexOf('(') + 1, close);
  const f = stat.slice(close + 2).split(' ');
  p.ppid = Number(f[1]);
  p.sid = Number(f[3]);
  p.tty = Number(f[4]);
  p.startBootNs = BigInt(f[19]) * TICK_NS;
  p.startTs = bootToEpochNs(p.startBootNs);
  const field = (name: string): string => status.match(new RegExp(`^${name}:\\s*(.*)$`, 'm'))?.[1] ?? '';
  const uids = field('Uid').split(/\s+/);
  const gids = field('Gid').split(/\s+/);
  p.uid = Number(uids[0] ?? 0);
  p.gid = Number(gids[0] ?? 0);
  const nspid = field('NSpid').split(/\s+/);
  p.vpid = Number(nspid[nspid.length - 1] || pid);
  const nspgid = field('NSpgid').split(/\s+/);
  p.vpgid = Number(nspgid[nspgid.length - 1] || f[2]);
  p.capPermitted = BigInt(`0x${field('CapPrm') || '0'}`);
  p.capEffective = BigInt(`0x${field('CapEff') || '0'}`);
  p.capInheritable = BigInt(`0x${field('CapInh') || '0'}`);
  const loginuid = Number(read(`/proc/${pid}/loginuid`) ?? '4294967295');
  p.loginuid = loginuid === 4294967295 ? -1 : loginuid;
  const cmdline = read(`/proc/${pid}/cmdline`) ?? '';
  p.args = cmdline.split('\0');
  if (p.args[p.args.length - 1] === '') p.args.pop();
  p.exe = p.args.shift() ?? p.name;
  p.exepath = (link(`/proc/${pid}/exe`) ?? '').replace(/ \(deleted\)$/, '');
  p.cwd = link(`/proc/${pid}/cwd`) ?? '/';
  p.container = containerFromProcCgroup(read(`/proc/${pid}/cgroup`) ?? '');
  const pidns = link(`/proc/${pid}/ns/pid`);
  p.pidns = Number(pidns?.match(/\[(\d+)\]/)?.[1] ?? 0);
  if (withFds) {
    const socks = sockets ?? readSockets(pid);
    let names: string[] = [];
    try { names = readdirSync(`/proc/${pid}/fd`); } catch { /* gone or not ours: no fds */ }
    for (const n of names) {
      const target = link(`/proc/${pid}/fd/${n}`);
      if (target !== null) p.fds.set(Number(n), fdFromLink(Number(n), target, socks));
    }
  }
  return p;
}

/** Every process on the host. Sockets are read once per network namespace. */
export function scanAll(): ProcState[] {
  const out: ProcState[] = [];
  const byNetns = new Map<string, Map<number, SockInfo>>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const netns = link(`/proc/${pid}/ns/net`) ?? '';
    let socks = byNetns.get(netns);
    if (!socks) { socks = readSockets(pid); byNetns.set(netns, socks); }
    const p = scanProc(pid, socks);
    if (p) out.push(p);
  }
  return out;
}
