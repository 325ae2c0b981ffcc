/**
 * The thread and fd tables replay keeps, as libsinsp's parser does: seeded from the capture's process and fd
 * lists, then changed by the events (clone, execve, open, close, connect, dup…). Records for a batch are cut from
 * this live state on demand and reused while the state does not change.
 */
import type { FdInfo, ProcessInfo } from '@peregrine/event';
import { FdRole, FdType, L4Proto, NO_REF, ProcFlag } from '@peregrine/event';
import type { ScapFdEntry, ScapThreadEntry, ScapUser, ScapGroup } from './metadata.ts';
import { ScapFdType } from './metadata.ts';

/** An fd as the event model describes it (sip/sport the client side, dip/dport the server side), plus replay state. */
export interface FdState extends FdInfo {
  /** the protocol socket() asked for: libsinsp shows it once the socket has an address */
  pendingL4: L4Proto;
  /** set by a successful connect: libsinsp 0.29 keeps that peer when the socket connects again */
  connected: boolean;
  /** index of this state's record in the batch `recSeq`, else stale */
  rec: number;
  recSeq: number;
}

export interface ThreadState {
  tid: number;
  pid: number;
  ptid: number;
  sid: number;
  vpgid: number;
  vtid: number;
  vpid: number;
  comm: string;
  exe: string;
  exepath: string;
  args: string[];
  env: string[] | null;
  cwd: string;
  uid: number;
  gid: number;
  loginuid: number;
  tty: number;
  capPermitted: bigint;
  capEffective: bigint;
  capInheritable: bigint;
  flags: number;
  startTs: bigint;
  cgroups: string[];
  /** short (12-char) container id, '' on the host */
  container: string;
  /** shared by all threads of a process */
  fds: Map<number, FdState>;
  rec: number;
  recSeq: number;
  /** the last enter event of this thread: its type code and arguments, for exit events that need them */
  enterType: number;
  enterArgs: unknown[] | null;
  /** the array this thread's enter events decoded for the state only reuse for their arguments (made on first use) */
  stateEnterArgs: unknown[] | null;
}

const SCAP_TO_FD_TYPE: Record<number, FdType> = {
  [ScapFdType.File]: FdType.File, [ScapFdType.FileV2]: FdType.File, [ScapFdType.Directory]: FdType.Directory,
  [ScapFdType.Ipv4Sock]: FdType.Ipv4, [ScapFdType.Ipv4ServSock]: FdType.Ipv4, [ScapFdType.Ipv6Sock]: FdType.Ipv6,
  [ScapFdType.Ipv6ServSock]: FdType.Ipv6, [ScapFdType.UnixSock]: FdType.Unix, [ScapFdType.Fifo]: FdType.Pipe,
  [ScapFdType.Event]: FdType.Event, [ScapFdType.Signalfd]: FdType.Signalfd, [ScapFdType.Eventpoll]: FdType.Eventpoll,
  [ScapFdType.Inotify]: FdType.Inotify, [ScapFdType.Timerfd]: FdType.Timerfd, [ScapFdType.Netlink]: FdType.Netlink,
  [ScapFdType.Bpf]: FdType.Bpf, [ScapFdType.Userfaultfd]: FdType.Userfaultfd, [ScapFdType.IoUring]: FdType.IoUring,
  [ScapFdType.Memfd]: FdType.Memfd, [ScapFdType.Pidfd]: FdType.Pidfd,
};

/** libscap's l4 protocol codes to IANA numbers. */
export const SCAP_L4: Record<number, L4Proto> = { 2: L4Proto.Tcp, 3: L4Proto.Udp, 4: L4Proto.Icmp, 5: L4Proto.Raw };

export function newFd(num: number, type: FdType, name: string): FdState {
  return {
    num, type, name, openFlags: 0, dev: 0, ino: 0, l4proto: L4Proto.Unknown, sip: '', sport: 0, dip: '', dport: 0,
    role: FdRole.None, pendingL4: L4Proto.Unknown, connected: false, rec: NO_REF, recSeq: -1,
  };
}

/** "sip:sport->dip:dport", the name libsinsp gives a connected inet socket. */
export function tupleName(f: FdState): string {
  return `${f.sip}:${f.sport}->${f.dip}:${f.dport}`;
}

export function fdFromScap(e: ScapFdEntry): FdState {
  const f = newFd(e.fd, SCAP_TO_FD_TYPE[e.type] ?? FdType.Unknown, e.name);
  f.openFlags = e.openFlags;
  f.dev = e.dev;
  f.ino = Number(e.ino);
  if (e.type === ScapFdType.Ipv4Sock || e.type === ScapFdType.Ipv6Sock) {
    f.sip = e.sip; f.sport = e.sport; f.dip = e.dip; f.dport = e.dport;
    f.l4proto = SCAP_L4[e.l4proto] ?? L4Proto.Unknown;
    f.role = FdRole.Client;
    f.name = tupleName(f);
  } else if (e.type === ScapFdType.Ipv4ServSock || e.type === ScapFdType.Ipv6ServSock) {
    // a listening socket: libsinsp keeps its address as the server side
    f.dip = e.sip; f.dport = e.sport;
    f.l4proto = SCAP_L4[e.l4proto] ?? L4Proto.Unknown;
    f.role = FdRole.Server;
    f.name = `${e.sip}:${e.sport}`;
  }
  return f;
}

export function threadFromScap(e: ScapThreadEntry, containerOf: (cgroups: string[]) => string): ThreadState {
  const fds = new Map<number, FdState>();
  for (const f of e.fds) fds.set(f.fd, fdFromScap(f));
  let flags = 0;
  if (e.exeWritable) flags |= ProcFlag.ExeWritable;
  if (e.exeUpperLayer) flags |= ProcFlag.ExeUpperLayer;
  if (e.exeFromMemfd) flags |= ProcFlag.ExeFromMemfd;
  return {
    tid: e.tid, pid: e.pid, ptid: e.ptid, sid: e.sid, vpgid: e.vpgid, vtid: e.vtid, vpid: e.vpid, comm: e.comm,
    exe: e.exe, exepath: e.exepath, args: e.args, env: e.env, cwd: e.cwd === '' || e.cwd.endsWith('/') ? e.cwd : `${e.cwd}/`, uid: e.uid, gid: e.gid,
    loginuid: e.loginuid, tty: e.tty, capPermitted: e.capPermitted, capEffective: e.capEffective,
    capInheritable: e.capInheritable, flags, startTs: 0n, cgroups: e.cgroups, container: containerOf(e.cgroups), fds,
    rec: NO_REF, recSeq: -1, enterType: -1, enterArgs: null, stateEnterArgs: null,
  };
}

/** Users and groups by id, as the capture's user list (and later user events) state them. */
export interface Credentials {
  users: Map<number, ScapUser>;
  groups: Map<number, ScapGroup>;
}

export function processRecord(t: ThreadState, parent: number, container: number, creds: Credentials, main: ThreadState): ProcessInfo {
  const user = creds.users.get(t.uid);
  const login = t.loginuid === 0xffffffff ? undefined : creds.users.get(t.loginuid);
  return {
    pid: t.pid, ppid: main.ptid, vpid: t.vpid, sid: t.sid, vpgid: t.vpgid, parent, container, name: t.comm,
    exe: t.exe, exepath: t.exepath, args: t.args, env: t.env, cwd: main.cwd, tty: t.tty, uid: t.uid, gid: t.gid,
    loginuid: t.loginuid === 0xffffffff ? -1 : t.loginuid, user: user?.name ?? '', loginuser: login?.name ?? '',
    group: creds.groups.get(t.gid)?.name ?? '', homedir: user?.homedir ?? '', shell: user?.shell ?? '',
    startTs: t.startTs, capPermitted: t.capPermitted, capEffective: t.capEffective,
    capInheritable: t.capInheritable, flags: t.flags, pidns: 0,
  };
}

export function fdRecord(f: FdState): FdInfo {
  return {
    num: f.num, type: f.type, name: f.name, openFlags: f.openFlags, dev: f.dev, ino: f.ino, l4proto: f.l4proto,
    sip: f.sip, sport: f.sport, dip: f.dip, dport: f.dport, role: f.role,
  };
}
