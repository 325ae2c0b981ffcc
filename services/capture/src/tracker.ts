/**
 * Turns kernel records into events and keeps the thread/fd tables current. One call per drained buffer; events go
 * into the open batch (batcher.ts), which copies process/fd records as they are at each event.
 */
import { Direction, eventTypeByName, FdRole, FdType, L4Proto, ProcFlag, SocketFamily, type ArgValue } from '@peregrine/event';
import { ExecFlag, LAYOUT, RecordType } from './abi.ts';
import type { BatchBuilder } from './batcher.ts';
import { bootToEpochNs } from './clock.ts';
import { containerFromCgroupPath, containerFromProcCgroup } from './container-id.ts';
import { cloneFlagsToPpm, fcntlCmdToPpm, KERNEL_O_CREAT_WRONLY_TRUNC, kernelDevToUser, openFlagsToPpm, ptraceRequestToPpm } from './kernel-values.ts';
import { scanProc } from './proc-scan.ts';
import { cString, joinComponents, readProcCgroup, resolvePath, sockaddr, socketTuple } from './record-text.ts';
import { bump, newFd, newProc, type FdState, type ProcState, type ProcTable } from './state.ts';
import { SYSCALL_BY_NR } from './syscalls.ts';

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
  private v: Record<string, ArgValue> = {};
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;
  private len0 = 0;
  private len1 = 0;
  // bound once: reading an argument or a copied string must not allocate a closure per record
  private readonly iarg = (i: number): number => this.buf.readInt32LE(this.off + S.args + 8 * i);
  private readonly arg = (i: number): bigint => this.buf.readBigUInt64LE(this.off + S.args + 8 * i);
  private readonly str0 = (): string => cString(this.buf, this.off + S.$size, this.len0);
  private readonly str1 = (): string => cString(this.buf, this.off + S.$size + this.len0, this.len1);

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

  private emit(buf: Buffer, off: number, name: string, dir: Direction, p: ProcState, fd: FdState | undefined, res: number): void {
    const type = eventTypeByName(name);
    if (!type) return;
    const params = dir === Direction.Exit ? type.exit : type.enter;
    const args: ArgValue[] = new Array(params.length);
    for (let i = 0; i < params.length; i++) args[i] = this.v[params[i].name] ?? null;
    this.counters.events++;
    this.batch.addEvent({
      num: ++this.evtNum,
      ts: bootToEpochNs(buf.readBigUInt64LE(off + H.ts)),
      type: type.code,
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
    const def = SYSCALL_BY_NR[nr];
    if (!def) { this.counters.unknownSyscalls++; return; }
    const pid = buf.readUInt32LE(off + H.pid);
    const p = this.proc(pid);
    const ret = Number(buf.readBigInt64LE(off + S.ret));
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
    const v: Record<string, ArgValue> = {};
    this.v = v;
    v.res = ret;
    let fd: FdState | undefined;
    const name = def.event;

    switch (name) {
      case 'open': case 'openat': case 'openat2': case 'creat': {
        const at = name === 'openat' || name === 'openat2';
        const dirfd = at ? iarg(0) : AT_FDCWD;
        let kflags = name === 'open' ? iarg(1) : name === 'openat' ? iarg(2) : KERNEL_O_CREAT_WRONLY_TRUNC;
        let mode = name === 'open' ? iarg(2) : name === 'openat' ? iarg(3) : iarg(1);
        if (name === 'openat2' && len1 >= 24) {
          kflags = Number(buf.readBigUInt64LE(d1));
          mode = Number(buf.readBigUInt64LE(d1 + 8));
          v.resolve = Number(buf.readBigUInt64LE(d1 + 16));
        }
        const path = str0();
        v.fd = ret; v.dirfd = dirfd; v.name = path; v.flags = openFlagsToPpm(kflags); v.mode = mode;
        v.dev = kernelDevToUser(buf.readUInt32LE(off + S.dev)); v.ino = buf.readBigUInt64LE(off + S.ino);
        if (ret >= 0) {
          const isDir = (buf.readUInt32LE(off + S.fd_mode) & S_IFMT) === S_IFDIR;
          fd = newFd(ret, isDir ? FdType.Directory : FdType.File, resolvePath(dirfd === AT_FDCWD ? p.cwd : p.fds.get(dirfd)?.name ?? p.cwd, path));
          fd.openFlags = v.flags as number;
          fd.dev = v.dev as number;
          fd.ino = Number(v.ino);
          this.table.setFd(p, fd);
        }
        break;
      }
      case 'close':
        v.fd = iarg(0);
        fd = p.fds.get(iarg(0));
        if (ret === 0) p.fds.delete(iarg(0));
        break;
      case 'socket': {
        v.domain = iarg(0); v.type = iarg(1); v.proto = iarg(2); v.fd = ret;
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
        v.fd = fdNum;
        const prev = p.fds.get(fdNum);
        const tuple = socketTuple(buf, off, name === 'accept' || name === 'accept4');
        if (name === 'bind' || name === 'connect' || name === 'sendto') {
          const addr = sockaddr(buf, d0, len0);
          if (name === 'bind') v.addr = addr;
          if (addr && addr.family === SocketFamily.Unix && tuple) { tuple.dip = addr.addr; }
          if (addr && addr.family === SocketFamily.Unix && !tuple && fdNum >= 0 && ret >= 0 && name !== 'sendto') {
            fd = newFd(fdNum, FdType.Unix, addr.addr);
            fd.role = name === 'bind' ? FdRole.Server : FdRole.Client;
            this.table.setFd(p, fd);
          }
        }
        if (name === 'listen') v.backlog = iarg(1);
        if (tuple) {
          v.tuple = tuple;
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
        fd ??= prev;
        break;
      }
      case 'socketpair': case 'pipe': case 'pipe2': {
        const fdBase = len0 >= 8 ? d0 : -1;
        if (ret === 0 && fdBase >= 0) {
          const a = buf.readInt32LE(fdBase);
          const b = buf.readInt32LE(fdBase + 4);
          v.fd1 = a; v.fd2 = b;
          const type = name === 'socketpair' ? FdType.Unix : FdType.Pipe;
          for (const n of [a, b]) this.table.setFd(p, newFd(n, type, ''));
          fd = p.fds.get(a);
        }
        if (name === 'pipe2') v.flags = openFlagsToPpm(iarg(1));
        break;
      }
      case 'dup': case 'dup2': case 'dup3': case 'fcntl': {
        const oldfd = iarg(0);
        v.fd = oldfd; v.oldfd = oldfd;
        if (name === 'fcntl') { v.cmd = fcntlCmdToPpm(iarg(1)); if (iarg(1) !== 0 && iarg(1) !== 1030) { fd = p.fds.get(oldfd); break; } }
        if (name === 'dup2' || name === 'dup3') v.newfd = iarg(1);
        if (name === 'dup3') v.flags = openFlagsToPpm(iarg(2));
        const src = p.fds.get(oldfd);
        if (ret >= 0 && src) {
          fd = { ...src, num: ret, version: bump(), batchSeq: -1 };
          this.table.setFd(p, fd);
        }
        break;
      }
      case 'symlink': case 'symlinkat':
        v.target = str0(); v.linkpath = str1(); v.linkdirfd = name === 'symlinkat' ? iarg(1) : AT_FDCWD;
        break;
      case 'link': case 'linkat': case 'rename': case 'renameat': case 'renameat2': {
        const at = name.endsWith('at') || name === 'renameat2';
        v.oldpath = str0(); v.newpath = str1();
        if (at) { v.olddir = iarg(0); v.olddirfd = iarg(0); v.newdir = iarg(2); v.newdirfd = iarg(2); v.flags = iarg(4); }
        break;
      }
      case 'unlink': case 'rmdir': case 'mkdir': case 'chmod':
        v.path = str0(); v.filename = v.path; v.mode = iarg(1);
        break;
      case 'unlinkat': case 'mkdirat': case 'fchmodat':
        v.dirfd = iarg(0); v.name = str0(); v.path = v.name; v.filename = v.name; v.flags = iarg(2); v.mode = iarg(2);
        break;
      case 'fchmod':
        v.fd = iarg(0); v.mode = iarg(1); fd = p.fds.get(iarg(0));
        break;
      case 'ptrace':
        v.request = ptraceRequestToPpm(iarg(0)); v.pid = iarg(1); v.addr = arg(2); v.data = arg(3);
        break;
      case 'execve': case 'execveat':
        if (ret === 0) return; // the exec record reports it, with the new process image
        v.filename = str0(); v.pathname = v.filename;
        break;
      case 'clone': case 'clone3': case 'fork': case 'vfork':
        if (ret === 0) return; // the child's side: the fork record made its state
        this.execValues(p, pid, buf.readUInt32LE(off + H.tid));
        v.res = ret;
        if (name === 'clone') v.flags = cloneFlagsToPpm(iarg(0));
        break;
      case 'chdir':
        v.path = str0();
        if (ret === 0) { p.cwd = resolvePath(p.cwd, v.path as string); p.version = bump(); }
        break;
      case 'fchdir':
        v.fd = iarg(0); fd = p.fds.get(iarg(0));
        if (ret === 0 && fd) { p.cwd = fd.name; p.version = bump(); }
        break;
      case 'chroot': case 'umount2':
        v.path = str0(); v.name = v.path;
        break;
      case 'mount':
        v.dev = str0(); v.dir = str1();
        break;
      case 'setuid': case 'setresuid':
        v.uid = iarg(0); v.ruid = iarg(0); v.euid = iarg(1); v.suid = iarg(2);
        if (ret === 0 && iarg(0) !== -1) { p.uid = iarg(0) >>> 0; p.version = bump(); }
        break;
      case 'setgid': case 'setresgid':
        v.gid = iarg(0); v.rgid = iarg(0); v.egid = iarg(1); v.sgid = iarg(2);
        if (ret === 0 && iarg(0) !== -1) { p.gid = iarg(0) >>> 0; p.version = bump(); }
        break;
      case 'setns':
        v.fd = iarg(0); v.nstype = cloneFlagsToPpm(iarg(1));
        break;
      case 'unshare':
        v.flags = cloneFlagsToPpm(iarg(0));
        break;
      case 'memfd_create': case 'eventfd': case 'eventfd2': case 'signalfd': case 'signalfd4': case 'timerfd_create':
      case 'inotify_init': case 'inotify_init1': case 'userfaultfd': case 'bpf': {
        v.fd = ret;
        if (name === 'memfd_create') { v.name = str0(); v.flags = iarg(1); }
        if (name === 'bpf') v.cmd = iarg(0);
        if (ret >= 0) {
          const type = name === 'memfd_create' ? FdType.Memfd : name.startsWith('eventfd') ? FdType.Event
            : name.startsWith('signalfd') ? FdType.Signalfd : name === 'timerfd_create' ? FdType.Timerfd
            : name.startsWith('inotify') ? FdType.Inotify : name === 'userfaultfd' ? FdType.Userfaultfd : FdType.Bpf;
          fd = newFd(ret, type, name === 'memfd_create' ? `memfd:${v.name as string}` : '');
          this.table.setFd(p, fd);
        }
        break;
      }
      case 'init_module':
        v.length = arg(1); v.uargs = str0();
        break;
      case 'finit_module':
        v.fd = iarg(0); v.uargs = str0(); v.flags = iarg(2); fd = p.fds.get(iarg(0));
        break;
      case 'write': case 'read':
        v.fd = iarg(0); v.size = iarg(2); fd = p.fds.get(iarg(0));
        break;
      default:
        break;
    }
    if (WITH_ENTER.has(name)) this.emit(buf, off, name, Direction.Enter, p, fd, 0);
    this.emit(buf, off, name, Direction.Exit, p, fd, ret);
  }

  private execValues(p: ProcState, pid: number, tid: number): void {
    const v = this.v;
    v.exe = p.exe; v.args = p.args; v.tid = tid; v.pid = pid; v.ptid = p.ppid; v.cwd = p.cwd; v.comm = p.name;
    v.cgroups = []; v.env = p.env ?? []; v.tty = p.tty; v.pgid = p.vpgid; v.loginuid = p.loginuid;
    v.cap_inheritable = p.capInheritable; v.cap_permitted = p.capPermitted; v.cap_effective = p.capEffective;
    v.uid = p.uid; v.gid = p.gid; v.vtid = tid; v.vpid = p.vpid; v.trusted_exepath = p.exepath;
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
    p.name = cString(buf, off + E.comm, 16);
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
    this.v = {};
    this.execValues(p, pid, tid);
    this.v.res = 0;
    this.v.cgroups = [`cpuset=${cgroup}`];
    this.emit(buf, off, 'execve', Direction.Exit, p, undefined, 0);
  }

  private onFork(buf: Buffer, off: number): void {
    const pid = buf.readUInt32LE(off + H.pid);
    const parentPid = buf.readUInt32LE(off + F.parent_pid);
    if (pid === parentPid || pid === this.ownPid) return; // a new thread shares its process's state
    const parent = this.proc(parentPid);
    const child = newProc(pid);
    Object.assign(child, {
      ppid: parentPid, sid: parent.sid, vpgid: parent.vpgid, name: cString(buf, off + F.comm, 16), exe: parent.exe,
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
    if (buf.readUInt32LE(off + X.group_dead) === 0) return;
    const p = this.table.get(buf.readUInt32LE(off + H.pid));
    if (p) p.exitedAt = Date.now();
  }
}
