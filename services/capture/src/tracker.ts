/**
 * Turns kernel records into events and keeps the thread/fd tables current. One call per drained buffer; events go
 * into the open batch (batcher.ts), which copies process/fd records as they are at each event.
 */
import { Direction, eventTypeByName, FdRole, FdType, L4Proto, ProcFlag, SocketFamily, resolvePath, type ArgValue, type EventTypeInfo } from '@peregrine/event';
import { ExecFlag, LAYOUT, RecordType } from './abi.ts';
import type { BatchBuilder } from './batcher.ts';
import { bootToEpochNs } from './clock.ts';
import { containerFromCgroupPath, containerFromProcCgroup } from './container-id.ts';
import { cloneFlagsToPpm, fcntlCmdToPpm, KERNEL_O_CREAT_WRONLY_TRUNC, kernelDevToUser, openFlagsToPpm, ptraceRequestToPpm } from './kernel-values.ts';
import { scanProc } from './proc-scan.ts';
import { joinComponents, readProcCgroup, sockaddr, socketTuple, StringInterner } from './record-text.ts';
import { bump, newFd, newProc, type FdState, type ProcState, type ProcTable } from './state.ts';
import { SYSCALLS } from './syscalls.ts';

const H = LAYOUT.pg_hdr;
const S = LAYOUT.pg_syscall;
const E = LAYOUT.pg_exec;
const F = LAYOUT.pg_fork;
const X = LAYOUT.pg_exit;
const AT_FDCWD = -100;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/** Event types whose enter event carries arguments its exit lacks and rules read (ptrace request, setuid uid…). */
const WITH_ENTER = new Set(['ptrace', 'socket', 'setuid', 'setgid', 'setns', 'unshare', 'setresuid', 'setresgid']);

/**
 * Every argument the decoder fills, by event-table parameter name. Each has a slot in one reused array, so decoding a
 * record allocates no object for its values and an event's args are copied slot by slot, in event-table order.
 */
const ARG_NAMES = [
  'status', 'ret', 'sig', 'core', 'reaper_tid',
  'addr', 'args', 'backlog', 'cap_effective', 'cap_inheritable', 'cap_permitted', 'cgroups', 'cmd', 'comm', 'cwd',
  'data', 'dev', 'dir', 'dirfd', 'domain', 'egid', 'env', 'euid', 'exe', 'fd', 'fd1', 'fd2', 'filename', 'flags',
  'gid', 'ino', 'length', 'linkdirfd', 'linkpath', 'loginuid', 'mode', 'name', 'newdir', 'newdirfd', 'newfd',
  'newpath', 'nstype', 'olddir', 'olddirfd', 'oldfd', 'oldpath', 'path', 'pathname', 'pgid', 'pid', 'proto', 'ptid',
  'request', 'res', 'resolve', 'rgid', 'ruid', 'sgid', 'size', 'suid', 'target', 'tid', 'trusted_exepath', 'tty',
  'tuple', 'type', 'uargs', 'uid', 'vpid', 'vtid',
] as const;
const A = Object.fromEntries(ARG_NAMES.map((n, i) => [n, i])) as { readonly [K in (typeof ARG_NAMES)[number]]: number };

/** What one syscall emits, looked up once: its event type and, per direction, the slot of each parameter (-1: none). */
interface Emits {
  def: (typeof SYSCALLS)[number];
  type: EventTypeInfo;
  enterSlots: readonly number[];
  exitSlots: readonly number[];
  withEnter: boolean;
}

const slotsOf = (params: EventTypeInfo['exit']): number[] => params.map((p) => (A as Record<string, number>)[p.name] ?? -1);

function emitsFor(def: (typeof SYSCALLS)[number]): Emits | undefined {
  const type = eventTypeByName(def.event);
  if (!type) return undefined;
  return { def, type, enterSlots: slotsOf(type.enter), exitSlots: slotsOf(type.exit), withEnter: WITH_ENTER.has(def.event) };
}

const EMITS_BY_NR: (Emits | undefined)[] = [];
for (const d of SYSCALLS) EMITS_BY_NR[d.nr] = emitsFor(d);
const EXECVE = emitsFor(SYSCALLS.find((d) => d.event === 'execve')!)!;
/** Not a syscall: every thread's exit reports it, as Falco's base set always has it. */
const PROCEXIT = emitsFor({ nr: -1, event: 'procexit', fdSrc: 0, mem: [] })!;

export interface TrackerCounters {
  records: number;
  events: number;
  /** records with a type byte or version we do not know, or a size that does not fit */
  badRecords: number;
  /** syscall numbers selected but not in the table */
  unknownSyscalls: number;
}

export class Tracker {
  readonly counters: TrackerCounters = { records: 0, events: 0, badRecords: 0, unknownSyscalls: 0 };
  private evtNum = 0;
  private readonly vals: ArgValue[] = new Array<ArgValue>(ARG_NAMES.length).fill(null);
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;
  private len0 = 0;
  private len1 = 0;
  // bound once: reading an argument or a copied string must not allocate a closure per record
  private readonly iarg = (i: number): number => this.buf.readInt32LE(this.off + S.args + 8 * i);
  private readonly arg = (i: number): bigint => this.buf.readBigUInt64LE(this.off + S.args + 8 * i);
  private readonly text = new StringInterner();
  private readonly str0 = (): string => this.text.cString(this.buf, this.off + S.$size, this.len0);
  private readonly str1 = (): string => this.text.cString(this.buf, this.off + S.$size + this.len0, this.len1);

  constructor(
    private readonly table: ProcTable,
    private readonly batch: BatchBuilder,
    private readonly ownPid: number,
  ) {}

  /** A buffer of whole records, each 8-byte aligned, as the addon delivers them. */
  handle(buf: Buffer): void {
    let off = 0;
    while (off + H.$size <= buf.length) {
      const size = buf.readUInt16LE(off + H.size);
      if (size < H.$size || off + size > buf.length || buf[off + H.version] !== 1) {
        this.counters.badRecords++;
        return;
      }
      this.counters.records++;
      switch (buf[off + H.type]) {
        case RecordType.Syscall: this.onSyscall(buf, off, size); break;
        case RecordType.Exec: this.onExec(buf, off); break;
        case RecordType.Fork: this.onFork(buf, off); break;
        case RecordType.Exit: this.onExit(buf, off); break;
        default: this.counters.badRecords++;
      }
      off += (size + 7) & ~7;
    }
  }

  private proc(pid: number): ProcState {
    let p = this.table.get(pid);
    if (p) return p;
    this.table.counters.misses++;
    p = scanProc(pid) ?? Object.assign(newProc(pid), { flags: ProcFlag.Partial });
    return this.table.add(p);
  }

  /** Clears the slots `e`'s events read, so nothing of the previous record shows. */
  private clear(e: Emits): void {
    const vals = this.vals;
    for (const slot of e.enterSlots) if (slot >= 0) vals[slot] = null;
    for (const slot of e.exitSlots) if (slot >= 0) vals[slot] = null;
  }

  private emit(buf: Buffer, off: number, e: Emits, dir: Direction, p: ProcState, fd: FdState | undefined, res: number): void {
    const slots = dir === Direction.Exit ? e.exitSlots : e.enterSlots;
    const vals = this.vals;
    const args: ArgValue[] = new Array(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      args[i] = slot >= 0 ? vals[slot] : null;
    }
    this.counters.events++;
    this.batch.addEvent({
      num: ++this.evtNum,
      ts: bootToEpochNs(buf.readBigUInt64LE(off + H.ts)),
      type: e.type.code,
      dir,
      cpu: buf.readUInt32LE(off + H.cpu),
      tid: buf.readUInt32LE(off + H.tid),
      proc: 0,
      fd: 0,
      res,
      args,
    }, p, fd);
  }

  private onSyscall(buf: Buffer, off: number, size: number): void {
    const nr = buf.readUInt16LE(off + S.nr);
    const e = EMITS_BY_NR[nr];
    if (!e) { this.counters.unknownSyscalls++; return; }
    const pid = buf.readUInt32LE(off + H.pid);
    const p = this.proc(pid);
    // two 32-bit halves, exact for every return value below 2^53 (a BigInt per record is garbage the GC pays for)
    const ret = buf.readInt32LE(off + S.ret + 4) * 0x1_0000_0000 + buf.readUInt32LE(off + S.ret);
    const len0 = buf.readUInt16LE(off + S.mem_len);
    const len1 = buf.readUInt16LE(off + S.mem_len + 2);
    const d0 = off + S.$size;
    const d1 = d0 + len0;
    if (d1 + len1 > off + size) { this.counters.badRecords++; return; }
    // the record being decoded, for the accessors below (no per-record closures: this is the hot path)
    this.buf = buf; this.off = off; this.len0 = len0; this.len1 = len1;
    const iarg = this.iarg;
    const arg = this.arg;
    const str0 = this.str0;
    const str1 = this.str1;
    this.clear(e);
    const v = this.vals;
    v[A.res] = ret;
    let fd: FdState | undefined;
    const name = e.def.event;

    switch (name) {
      case 'open': case 'openat': case 'openat2': case 'creat': {
        const at = name === 'openat' || name === 'openat2';
        const dirfd = at ? iarg(0) : AT_FDCWD;
        let kflags = name === 'open' ? iarg(1) : name === 'openat' ? iarg(2) : KERNEL_O_CREAT_WRONLY_TRUNC;
        let mode = name === 'open' ? iarg(2) : name === 'openat' ? iarg(3) : iarg(1);
        if (name === 'openat2' && len1 >= 24) {
          kflags = Number(buf.readBigUInt64LE(d1));
          mode = Number(buf.readBigUInt64LE(d1 + 8));
          v[A.resolve] = Number(buf.readBigUInt64LE(d1 + 16));
        }
        const path = str0();
        v[A.fd] = ret; v[A.dirfd] = dirfd; v[A.name] = path; v[A.flags] = openFlagsToPpm(kflags); v[A.mode] = mode;
        v[A.dev] = kernelDevToUser(buf.readUInt32LE(off + S.dev)); v[A.ino] = buf.readBigUInt64LE(off + S.ino);
        if (ret >= 0) {
          const isDir = (buf.readUInt32LE(off + S.fd_mode) & S_IFMT) === S_IFDIR;
          fd = newFd(ret, isDir ? FdType.Directory : FdType.File, resolvePath(dirfd === AT_FDCWD ? p.cwd : p.fds.get(dirfd)?.name ?? p.cwd, path));
          fd.openFlags = v[A.flags] as number;
          fd.dev = v[A.dev] as number;
          fd.ino = Number(v[A.ino]);
          this.table.setFd(p, fd);
        }
        break;
      }
      case 'close':
        v[A.fd] = iarg(0);
        fd = p.fds.get(iarg(0));
        if (ret === 0) p.fds.delete(iarg(0));
        break;
      case 'socket': {
        v[A.domain] = iarg(0); v[A.type] = iarg(1); v[A.proto] = iarg(2); v[A.fd] = ret;
        if (ret >= 0) {
          const fam = iarg(0);
          const type = fam === 2 ? FdType.Ipv4 : fam === 10 ? FdType.Ipv6 : fam === 1 ? FdType.Unix : fam === 16 ? FdType.Netlink : FdType.Unknown;
          fd = newFd(ret, type, '');
          const st = iarg(1) & 0xf;
          fd.l4proto = st === 1 ? L4Proto.Tcp : st === 2 ? L4Proto.Udp : st === 3 ? L4Proto.Raw : L4Proto.Unknown;
          this.table.setFd(p, fd);
        }
        break;
      }
      case 'connect': case 'accept': case 'accept4': case 'sendto': case 'sendmsg': case 'recvfrom': case 'recvmsg': case 'listen': case 'bind': {
        const fdNum = name === 'accept' || name === 'accept4' ? ret : iarg(0);
        v[A.fd] = fdNum;
        const prev = p.fds.get(fdNum);
        const tuple = socketTuple(buf, off, name === 'accept' || name === 'accept4');
        if (name === 'bind' || name === 'connect' || name === 'sendto') {
          const addr = sockaddr(buf, d0, len0);
          if (name === 'bind') v[A.addr] = addr;
          if (addr && addr.family === SocketFamily.Unix && tuple) { tuple.dip = addr.addr; }
          if (addr && addr.family === SocketFamily.Unix && !tuple && fdNum >= 0 && ret >= 0 && name !== 'sendto') {
            fd = newFd(fdNum, FdType.Unix, addr.addr);
            fd.role = name === 'bind' ? FdRole.Server : FdRole.Client;
            this.table.setFd(p, fd);
          }
        }
        if (name === 'listen') v[A.backlog] = iarg(1);
        if (tuple) {
          v[A.tuple] = tuple;
          if ((name === 'connect' || name === 'accept' || name === 'accept4' || name === 'bind' || name === 'listen') && fdNum >= 0 && (ret >= 0 || name === 'connect')) {
            fd = newFd(fdNum, tuple.family === SocketFamily.Inet6 ? FdType.Ipv6 : FdType.Ipv4, '');
            fd.l4proto = buf.readUInt16LE(off + S.sk_proto) as L4Proto;
            fd.sip = tuple.sip; fd.sport = tuple.sport; fd.dip = tuple.dip; fd.dport = tuple.dport;
            const server = name === 'accept' || name === 'accept4' || name === 'bind' || name === 'listen';
            fd.role = server ? FdRole.Server : FdRole.Client;
            fd.name = name === 'bind' || name === 'listen' ? `${tuple.sip}:${tuple.sport}` : `${tuple.sip}:${tuple.sport}->${tuple.dip}:${tuple.dport}`;
            fd.ino = Number(buf.readBigUInt64LE(off + S.ino));
            this.table.setFd(p, fd);
          }
        }
        // an accepted unix socket is named after the listening one's path, as libsinsp names it
        if ((name === 'accept' || name === 'accept4') && !tuple && ret >= 0 && buf.readUInt16LE(off + S.sk_family) === 1) {
          const listening = p.fds.get(iarg(0));
          fd = newFd(ret, FdType.Unix, listening?.type === FdType.Unix ? listening.name : '');
          fd.role = FdRole.Server;
          fd.ino = Number(buf.readBigUInt64LE(off + S.ino));
          this.table.setFd(p, fd);
        }
        fd ??= prev;
        break;
      }
      case 'socketpair': case 'pipe': case 'pipe2': {
        const fdBase = len0 >= 8 ? d0 : -1;
        if (ret === 0 && fdBase >= 0) {
          const a = buf.readInt32LE(fdBase);
          const b = buf.readInt32LE(fdBase + 4);
          v[A.fd1] = a; v[A.fd2] = b;
          const type = name === 'socketpair' ? FdType.Unix : FdType.Pipe;
          for (const n of [a, b]) this.table.setFd(p, newFd(n, type, ''));
          fd = p.fds.get(a);
        }
        if (name === 'pipe2') v[A.flags] = openFlagsToPpm(iarg(1));
        break;
      }
      case 'dup': case 'dup2': case 'dup3': case 'fcntl': {
        const oldfd = iarg(0);
        v[A.fd] = oldfd; v[A.oldfd] = oldfd;
        if (name === 'fcntl') { v[A.cmd] = fcntlCmdToPpm(iarg(1)); if (iarg(1) !== 0 && iarg(1) !== 1030) { fd = p.fds.get(oldfd); break; } }
        if (name === 'dup2' || name === 'dup3') v[A.newfd] = iarg(1);
        if (name === 'dup3') v[A.flags] = openFlagsToPpm(iarg(2));
        const src = p.fds.get(oldfd);
        if (ret >= 0 && src) {
          fd = { ...src, num: ret, version: bump(), batchSeq: -1 };
          this.table.setFd(p, fd);
        }
        break;
      }
      case 'symlink': case 'symlinkat':
        v[A.target] = str0(); v[A.linkpath] = str1(); v[A.linkdirfd] = name === 'symlinkat' ? iarg(1) : AT_FDCWD;
        break;
      case 'link': case 'linkat': case 'rename': case 'renameat': case 'renameat2': {
        const at = name.endsWith('at') || name === 'renameat2';
        v[A.oldpath] = str0(); v[A.newpath] = str1();
        if (at) { v[A.olddir] = iarg(0); v[A.olddirfd] = iarg(0); v[A.newdir] = iarg(2); v[A.newdirfd] = iarg(2); v[A.flags] = iarg(4); }
        break;
      }
      case 'unlink': case 'rmdir': case 'mkdir': case 'chmod':
        v[A.path] = str0(); v[A.filename] = v[A.path]; v[A.mode] = iarg(1);
        break;
      case 'unlinkat': case 'mkdirat': case 'fchmodat':
        v[A.dirfd] = iarg(0); v[A.name] = str0(); v[A.path] = v[A.name]; v[A.filename] = v[A.name]; v[A.flags] = iarg(2); v[A.mode] = iarg(2);
        break;
      case 'fchmod':
        v[A.fd] = iarg(0); v[A.mode] = iarg(1); fd = p.fds.get(iarg(0));
        break;
      case 'ptrace':
        v[A.request] = ptraceRequestToPpm(iarg(0)); v[A.pid] = iarg(1); v[A.addr] = arg(2); v[A.data] = arg(3);
        break;
      case 'execve': case 'execveat':
        if (ret === 0) return; // the exec record reports it, with the new process image
        v[A.filename] = str0(); v[A.pathname] = v[A.filename];
        break;
      case 'clone': case 'clone3': case 'fork': case 'vfork':
        if (ret === 0) return; // the child's side: the fork record made its state
        this.execValues(p, pid, buf.readUInt32LE(off + H.tid));
        v[A.res] = ret;
        if (name === 'clone') v[A.flags] = cloneFlagsToPpm(iarg(0));
        // the flags libsinsp knows all sit in the low 32 bits (CLONE_CLEAR_SIGHAND and CLONE_INTO_CGROUP are above)
        if (name === 'clone3' && len0 >= 8) v[A.flags] = cloneFlagsToPpm(buf.readUInt32LE(d0));
        break;
      case 'chdir':
        v[A.path] = str0();
        if (ret === 0) { p.cwd = resolvePath(p.cwd, v[A.path] as string); p.version = bump(); }
        break;
      case 'fchdir':
        v[A.fd] = iarg(0); fd = p.fds.get(iarg(0));
        if (ret === 0 && fd) { p.cwd = fd.name; p.version = bump(); }
        break;
      case 'chroot': case 'umount2':
        v[A.path] = str0(); v[A.name] = v[A.path];
        break;
      case 'mount':
        v[A.dev] = str0(); v[A.dir] = str1();
        break;
      case 'setuid': case 'setresuid':
        v[A.uid] = iarg(0); v[A.ruid] = iarg(0); v[A.euid] = iarg(1); v[A.suid] = iarg(2);
        if (ret === 0 && iarg(0) !== -1) { p.uid = iarg(0) >>> 0; p.version = bump(); }
        break;
      case 'setgid': case 'setresgid':
        v[A.gid] = iarg(0); v[A.rgid] = iarg(0); v[A.egid] = iarg(1); v[A.sgid] = iarg(2);
        if (ret === 0 && iarg(0) !== -1) { p.gid = iarg(0) >>> 0; p.version = bump(); }
        break;
      case 'setns':
        v[A.fd] = iarg(0); v[A.nstype] = cloneFlagsToPpm(iarg(1));
        break;
      case 'unshare':
        v[A.flags] = cloneFlagsToPpm(iarg(0));
        break;
      case 'memfd_create': case 'eventfd': case 'eventfd2': case 'signalfd': case 'signalfd4': case 'timerfd_create':
      case 'inotify_init': case 'inotify_init1': case 'userfaultfd': case 'bpf': {
        v[A.fd] = ret;
        if (name === 'memfd_create') { v[A.name] = str0(); v[A.flags] = iarg(1); }
        if (name === 'bpf') v[A.cmd] = iarg(0);
        if (ret >= 0) {
          const type = name === 'memfd_create' ? FdType.Memfd : name.startsWith('eventfd') ? FdType.Event
            : name.startsWith('signalfd') ? FdType.Signalfd : name === 'timerfd_create' ? FdType.Timerfd
            : name.startsWith('inotify') ? FdType.Inotify : name === 'userfaultfd' ? FdType.Userfaultfd : FdType.Bpf;
          fd = newFd(ret, type, name === 'memfd_create' ? `memfd:${v[A.name] as string}` : '');
          this.table.setFd(p, fd);
        }
        break;
      }
      case 'init_module':
        v[A.length] = arg(1); v[A.uargs] = str0();
        break;
      case 'finit_module':
        v[A.fd] = iarg(0); v[A.uargs] = str0(); v[A.flags] = iarg(2); fd = p.fds.get(iarg(0));
        break;
      case 'write': case 'read':
        v[A.fd] = iarg(0); v[A.size] = iarg(2); fd = p.fds.get(iarg(0));
        break;
      default:
        break;
    }
    if (e.withEnter) this.emit(buf, off, e, Direction.Enter, p, fd, 0);
    this.emit(buf, off, e, Direction.Exit, p, fd, ret);
  }

  private execValues(p: ProcState, pid: number, tid: number): void {
    const v = this.vals;
    v[A.exe] = p.exe; v[A.args] = p.args; v[A.tid] = tid; v[A.pid] = pid; v[A.ptid] = p.ppid; v[A.cwd] = p.cwd; v[A.comm] = p.name;
    v[A.cgroups] = []; v[A.env] = p.env ?? []; v[A.tty] = p.tty; v[A.pgid] = p.vpgid; v[A.loginuid] = p.loginuid;
    v[A.cap_inheritable] = p.capInheritable; v[A.cap_permitted] = p.capPermitted; v[A.cap_effective] = p.capEffective;
    v[A.uid] = p.uid; v[A.gid] = p.gid; v[A.vtid] = tid; v[A.vpid] = p.vpid; v[A.trusted_exepath] = p.exepath;
  }

  private onExec(buf: Buffer, off: number): void {
    const pid = buf.readUInt32LE(off + H.pid);
    const tid = buf.readUInt32LE(off + H.tid);
    const existing = this.table.get(pid);
    const p = existing ?? this.table.add(newProc(pid));
    p.ppid = buf.readUInt32LE(off + E.ppid);
    p.vpid = buf.readUInt32LE(off + E.vpid);
    p.sid = buf.readUInt32LE(off + E.sid);
    p.vpgid = buf.readUInt32LE(off + E.vpgid);
    p.uid = buf.readUInt32LE(off + E.uid);
    p.gid = buf.readUInt32LE(off + E.gid);
    const loginuid = buf.readUInt32LE(off + E.loginuid);
    p.loginuid = loginuid === 0xffffffff ? -1 : loginuid;
    p.tty = kernelDevToUser(buf.readUInt32LE(off + E.tty));
    p.pidns = buf.readUInt32LE(off + E.pidns);
    p.startBootNs = buf.readBigUInt64LE(off + E.start_ts);
    p.startTs = bootToEpochNs(p.startBootNs);
    p.capPermitted = buf.readBigUInt64LE(off + E.cap_permitted);
    p.capEffective = buf.readBigUInt64LE(off + E.cap_effective);
    p.capInheritable = buf.readBigUInt64LE(off + E.cap_inheritable);
    const kflags = buf.readUInt32LE(off + E.flags);
    p.flags = (kflags & ExecFlag.Memfd ? ProcFlag.ExeFromMemfd : 0) | (kflags & ExecFlag.Upper ? ProcFlag.ExeUpperLayer : 0)
      | (kflags & ExecFlag.Lower ? ProcFlag.ExeLowerLayer : 0);
    p.name = this.text.cString(buf, off + E.comm, 16);
    let o = off + E.$size;
    const exeLen = buf.readUInt16LE(off + E.exe_len);
    const argsLen = buf.readUInt16LE(off + E.args_len);
    const envLen = buf.readUInt16LE(off + E.env_len);
    const cgLen = buf.readUInt16LE(off + E.cgroup_len);
    const cwdLen = buf.readUInt16LE(off + E.cwd_len);
    p.exepath = joinComponents(buf, o, exeLen);
    // a memfd's dentry is "memfd:NAME (deleted)" at the root of its internal mount
    if (p.flags & ProcFlag.ExeFromMemfd) p.exepath = p.exepath.slice(1);
    o += exeLen;
    const argv = buf.toString('utf8', o, o + argsLen).split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
    o += argsLen;
    p.exe = argv.shift() ?? p.name;
    p.args = argv;
    if (envLen > 0) {
      const env = buf.toString('utf8', o, o + envLen).split('\0');
      if (env[env.length - 1] === '') env.pop();
      p.env = env;
    }
    o += envLen;
    const cgroup = cgLen > 0 ? joinComponents(buf, o, cgLen) : '/';
    o += cgLen;
    p.cwd = joinComponents(buf, o, cwdLen);
    p.container = containerFromCgroupPath(cgroup);
    // At the cgroup v2 root the process may still be a container's on a cgroup v1 (or hybrid) host: ask /proc.
    if (!p.container && cgroup === '/') p.container = containerFromProcCgroup(readProcCgroup(pid));
    p.exitedAt = 0;
    p.version = bump();
    this.clear(EXECVE);
    this.execValues(p, pid, tid);
    this.vals[A.res] = 0;
    this.vals[A.cgroups] = [`cpuset=${cgroup}`];
    this.emit(buf, off, EXECVE, Direction.Exit, p, undefined, 0);
  }

  private onFork(buf: Buffer, off: number): void {
    const pid = buf.readUInt32LE(off + H.pid);
    const parentPid = buf.readUInt32LE(off + F.parent_pid);
    if (pid === parentPid || pid === this.ownPid) return; // a new thread shares its process's state
    const parent = this.proc(parentPid);
    const child = newProc(pid);
    Object.assign(child, {
      ppid: parentPid, sid: parent.sid, vpgid: parent.vpgid, name: this.text.cString(buf, off + F.comm, 16), exe: parent.exe,
      exepath: parent.exepath, args: parent.args, env: parent.env, cwd: parent.cwd, tty: parent.tty, uid: parent.uid,
      gid: parent.gid, loginuid: parent.loginuid, capPermitted: parent.capPermitted, capEffective: parent.capEffective,
      capInheritable: parent.capInheritable, flags: parent.flags & ~ProcFlag.Partial, pidns: parent.pidns,
      container: parent.container, fds: new Map(parent.fds),
    });
    child.vpid = buf.readUInt32LE(off + F.vpid);
    child.startBootNs = buf.readBigUInt64LE(off + F.start_ts);
    child.startTs = bootToEpochNs(child.startBootNs);
    this.table.add(child);
  }

  private onExit(buf: Buffer, off: number): void {
    const pid = buf.readUInt32LE(off + H.pid);
    // the kernel's exit_code, a wait status: exit status in bits 8-15, the terminating signal in 0-6, core dump 7
    const status = buf.readInt32LE(off + X.code);
    const termsig = status & 0x7f;
    this.clear(PROCEXIT);
    const v = this.vals;
    v[A.status] = status;
    v[A.ret] = (status >> 8) & 0xff;
    v[A.sig] = termsig !== 0 && termsig !== 0x7f ? termsig : 0;
    v[A.core] = status & 0x80 ? 1 : 0;
    v[A.reaper_tid] = 0; // not known here: who inherits the children is decided after this hook
    const p = this.table.get(pid);
    if (p) this.emit(buf, off, PROCEXIT, Direction.Enter, p, undefined, 0);
    if (buf.readUInt32LE(off + X.group_dead) === 0) return;
    if (p) p.exitedAt = Date.now();
  }
}
