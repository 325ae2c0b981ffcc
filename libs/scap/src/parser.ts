/**
 * Turns a capture's events into the event model, keeping libsinsp's state as its parser does: threads from the
 * process list and clone/execve/procexit, fds from the fd lists and open/socket/connect/accept/dup/pipe/close, the
 * cwd from chdir, credentials from set*id, containers from cgroups and container events.
 *
 * Numbering follows libsinsp 0.29: every event it knows counts (`evt.num`), including the internal ones it does not
 * show (procinfo, early container events); events newer than it know are applied but not counted.
 */
import type { ArgValue, ContainerInfo, EventBatch, ScapType, SockAddr, SockTuple, SyscallEvent } from '@peregrine/event';
import { resolvePath } from '@peregrine/event';
import {
  EVENT_TYPES, EventFlag, FdRole, FdType, L4Proto, NO_REF, ProcFlag, SocketFamily, emptyBatch, eventTypeByName,
} from '@peregrine/event';
import type { EventCursor } from './capture.ts';
import type { Capture } from './capture.ts';
import { containerFromCgroups, containerFromJson, emptyContainer } from './containers.ts';
import { decodeParam, unsignedAt } from './params.ts';
import { AT_FDCWD } from './paths.ts';
import { LIBSINSP_029_EVENT_MAX, PPME } from './ppme-table.ts';
import { SYSCALL_NAMES } from './syscall-names.ts';
import {
  type Credentials, type FdState, type ThreadState, fdRecord, newFd, processRecord, threadFromScap, tupleName,
} from './threads.ts';

/** How one PPME id lands in the event model. */
interface EventMapping {
  code: number;
  dir: 0 | 1;
  /** our argument slot for each wire parameter (-1: dropped) */
  slots: Int16Array;
  /** the slots an event decoded for the state only needs: payload buffers dropped (no handler reads them) */
  stateSlots: Int16Array;
  types: readonly ScapType[];
  stringArray: boolean[];
  argCount: number;
  /** the first wire parameter's type decides whether it is the return value */
  resFromFirst: boolean;
  flags: number;
  handler: Handler | undefined;
  /** an internal event libsinsp counts but does not show */
  hidden: boolean;
  isContainer: boolean;
}

type Handler = (p: Parser, t: ThreadState, ev: SyscallEvent) => FdState | undefined;

const GENERIC_E = 0;
const GENERIC_X = 1;
const CONTAINER = 'container';
/** events that do not bring an unknown thread into the table (libsinsp's EF_SKIPPARSERESET events) */
const NO_THREAD = new Set(['switch', 'page_fault', 'signaldeliver', 'notification', 'infra', 'k8s', 'mesos', 'tracer', 'container', 'procexit']);
const HIDDEN = new Set(['procinfo', 'sysdigevent', 'drop', 'scapevent', 'cpu_hotplug', 'useradded', 'userdeleted', 'groupadded', 'groupdeleted']);

function buildMapping(id: number): EventMapping | undefined {
  const info = PPME[id];
  if (!info || info.name.startsWith('NA') || info.name === 'syscall') return undefined;
  const type = eventTypeByName(info.name);
  if (!type) return undefined;
  const dir = (id % 2) as 0 | 1;
  const params = dir === 0 ? type.enter : type.exit;
  const slots = new Int16Array(info.types.length).fill(-1);
  // old versions reorder and drop parameters: place each wire parameter by its name
  for (let i = 0; i < slots.length; i++) slots[i] = params.findIndex((p) => p.name === info.names[i]);
  const stringArray = info.types.map((_, i) => slots[i]! >= 0 && params[slots[i]!]!.type === 'stringarray');
  const stateSlots = slots.map((s, i) => (info.types[i] === 'bytebuf' && !stringArray[i] ? -1 : s));
  return {
    code: type.code, dir, slots, stateSlots, types: info.types, argCount: params.length, stringArray,
    resFromFirst: dir === 1 && ['errno', 'fd', 'pid'].includes(info.types[0] ?? ''),
    flags: type.flags, handler: HANDLERS[info.name]?.[dir], hidden: HIDDEN.has(info.name), isContainer: info.name === CONTAINER,
  };
}

let MAPPINGS: (EventMapping | undefined)[] | null = null;
function mappings(): (EventMapping | undefined)[] {
  MAPPINGS ??= PPME.map((_, id) => buildMapping(id));
  return MAPPINGS;
}
const GENERIC_CODES = new Map(EVENT_TYPES.map((t) => [t.name, t.code]));
/** the most arguments any event type has */
const MAX_ARGS = Math.max(...EVENT_TYPES.flatMap((t) => [t.enter.length, t.exit.length]));
/** per libscap syscall id: the event type code a generic event with that id becomes, or -1 (not shown) */
const SYSCALL_CODES = Int32Array.from(SYSCALL_NAMES, (name) => GENERIC_CODES.get(name) ?? -1);

export interface ParserOptions {
  node: string;
  batchSize: number;
  /**
   * The evt.type names the consumer reads (a filter's or ruleset's gate), or null for all. Other events still count
   * and still change the state, but are neither decoded beyond that nor put in batches.
   */
  eventTypes?: ReadonlySet<string> | null;
}

export class Parser {
  readonly threads = new Map<number, ThreadState>();
  readonly creds: Credentials;
  readonly containers = new Map<string, ContainerInfo>();
  num = 0;
  private seq = 0;
  private batch: EventBatch;
  private containerIdx = new Map<string, number>();
  private readonly containerByCgroups = new Map<string, string>();
  /** per argument count, the array an exit decoded for the state only reuses (all made up front: one shape) */
  private readonly exitArgs: ArgValue[][] = Array.from({ length: MAX_ARGS + 1 }, (_, n) => new Array<ArgValue>(n).fill(null));
  private readonly scratchEvent: SyscallEvent = { num: 0, ts: 0n, type: 0, dir: 0, cpu: 0, tid: 0, proc: NO_REF, fd: NO_REF, res: 0, args: [] };
  /** container events before the first other event are part of the initial state: counted, not shown */
  private sawEvent = false;
  private readonly unknownTypes = new Map<number, number>();

  private readonly maps = mappings();
  /** the last tid known to be in the thread table (reset when a thread goes) */
  private knownTid = Number.NaN;
  /** per PPME id: decode and emit (2), decode for state only (1), count only (0) */
  private readonly need: Uint8Array;
  private readonly wantedCodes: Uint8Array | null;

  constructor(readonly capture: Capture, readonly opts: ParserOptions) {
    const wanted = opts.eventTypes ?? null;
    this.wantedCodes = wanted ? Uint8Array.from(EVENT_TYPES, (t) => (wanted.has(t.name) ? 1 : 0)) : null;
    this.need = Uint8Array.from(PPME, (info, id) => {
      const m = mappings()[id];
      if (!m) return 2;
      if (!this.wantedCodes || this.wantedCodes[m.code]) return 2;
      const handlers = HANDLERS[info.name];
      return handlers || info.name === 'procexit' || info.name === CONTAINER ? 1 : 0;
    });
    this.creds = { users: capture.meta.users, groups: capture.meta.groups };
    for (const e of capture.meta.threads.values()) this.threads.set(e.tid, threadFromScap(e, (cg) => this.containerOf(cg)));
    // threads of one process share the main thread's fd table
    for (const t of this.threads.values()) {
      const main = this.threads.get(t.pid);
      if (main && main !== t && t.fds.size === 0) t.fds = main.fds;
    }
    this.batch = this.newBatch(0);
  }

  /** Container ids (12 characters, as libsinsp keys them) for a cgroup list, registering the container. */
  containerOf(cgroups: readonly string[]): string {
    // every clone and execve carries the cgroup list, and a capture has few distinct ones: match each list once
    const key = cgroups.join('\0');
    const known = this.containerByCgroups.get(key);
    if (known !== undefined) return known;
    const found = containerFromCgroups(cgroups);
    const short = found ? found.id.slice(0, 12) : '';
    if (found && !this.containers.has(short)) this.containers.set(short, emptyContainer(found.id, found.type));
    this.containerByCgroups.set(key, short);
    return short;
  }

  /** Reads one event from the cursor; returns a full batch when one is ready. */
  step(c: EventCursor): EventBatch | null {
    const type = c.type;
    const info = PPME[type];
    if (type >= LIBSINSP_029_EVENT_MAX) {
      if (info) this.applyMeta(info.name, c);
      return null;
    }
    this.num++;
    if (type === GENERIC_E || type === GENERIC_X) return this.generic(c);
    const need = this.need[type];
    if (need === 0) {
      // counted only: what it may change is the thread table (a thread first seen here)
      const tid = c.tid;
      if (tid !== this.knownTid) {
        const m0 = this.maps[type];
        if (m0 && !this.threads.has(tid) && this.makesThread(tid, m0.code, m0)) this.partialThread(tid);
        if (this.threads.has(tid)) this.knownTid = tid;
      }
      this.sawEvent = true;
      return null;
    }
    const m = this.maps[type];
    if (!m) {
      this.unknownTypes.set(type, (this.unknownTypes.get(type) ?? 0) + 1);
      return null;
    }
    if (m.isContainer) {
      const id = this.containerEvent(c);
      if (!this.sawEvent) return null;
      if (id) this.containerThread(id);
    }
    this.sawEvent = true;
    if (m.hidden) return null;
    c.params();
    // an event decoded for the state only is not kept: an exit's arguments are read by its handler and dropped, an
    // enter's stay with its thread until the thread's next enter, so each goes in a reused array
    const args: ArgValue[] = need === 2 ? new Array(m.argCount).fill(null)
      : m.dir === 1 ? this.scratchArgs(m.argCount) : this.stateEnterArgs(c.tid, m.argCount);
    const data = c.data;
    const slots = need === 1 ? m.stateSlots : m.slots;
    for (let i = 0; i < c.nparams && i < slots.length; i++) {
      const s = slots[i]!;
      if (s >= 0) args[s] = decodeParam(data, c.offs[i]!, c.lens[i]!, m.types[i]!, m.stringArray[i]!);
    }
    const res = m.resFromFirst && c.nparams > 0 ? Number(args[m.slots[0]!] ?? 0) : 0;
    return this.emit(c, m.code, m.dir, args, res, m);
  }

  private generic(c: EventCursor): EventBatch | null {
    c.params();
    if (c.nparams < 1) return null;
    const data = c.data;
    // the syscall id picks the type; its name is only built for events that leave
    const id = unsignedAt(data, c.offs[0]!, c.lens[0]!);
    const code = id < SYSCALL_CODES.length ? SYSCALL_CODES[id]! : -1;
    this.sawEvent = true;
    if (code < 0) return null;
    if (this.wantedCodes && !this.wantedCodes[code]) {
      if (c.tid > 0 && !this.threads.has(c.tid)) this.partialThread(c.tid);
      return null;
    }
    const t = EVENT_TYPES[code]!;
    const dir = (c.type === GENERIC_E ? 0 : 1) as 0 | 1;
    const params = dir === 0 ? t.enter : t.exit;
    const args: ArgValue[] = new Array(params.length).fill(null);
    if (t.generic) {
      args[0] = SYSCALL_NAMES[id]!;
      if (dir === 0 && c.nparams > 1) args[1] = decodeParam(data, c.offs[1]!, c.lens[1]!, 'uint16', false);
    }
    return this.emit(c, code, dir, args, 0, undefined);
  }

  private emit(c: EventCursor, code: number, dir: 0 | 1, args: ArgValue[], res: number, m: EventMapping | undefined): EventBatch | null {
    const t = this.threads.get(c.tid) ?? (this.makesThread(c.tid, code, m) ? this.partialThread(c.tid) : undefined);
    const wanted = !this.wantedCodes || this.wantedCodes[code] === 1;
    // the bigint timestamp only for events that leave, and for clones (the child's start time)
    const ts = wanted || m?.handler === cloneExit ? c.ts : 0n;
    // no handler keeps the event itself: one that does not leave is a reused object
    const ev = wanted ? { num: this.num, ts, type: code, dir, cpu: c.cpu, tid: c.tid, proc: NO_REF, fd: NO_REF, res, args } : this.scratchEvent;
    if (!wanted) {
      ev.num = this.num; ev.ts = ts; ev.type = code; ev.dir = dir; ev.cpu = c.cpu; ev.tid = c.tid; ev.res = res; ev.args = args;
    }
    let fd: FdState | undefined;
    if (t) {
      if (m && m.flags & EventFlag.UsesFd) {
        const n = dir === 0 ? args[0] : t.enterType === code && t.enterArgs ? t.enterArgs[0] : undefined;
        if (typeof n === 'number') fd = t.fds.get(n);
      }
      const handled = m?.handler?.(this, t, ev);
      if (handled) fd = handled;
      if (dir === 0) {
        t.enterType = code;
        t.enterArgs = args;
      }
    } else if (m?.handler === cloneExit) {
      cloneExit(this, undefined, ev);
    }
    const b = this.batch;
    if (wanted) {
      const live = this.threads.get(c.tid) ?? t;
      ev.proc = live ? this.procIndex(live) : NO_REF;
      ev.fd = fd ? this.fdIndex(fd) : NO_REF;
      b.events.push(ev);
    }
    if (t && EVENT_TYPES[code]!.name === 'procexit') {
      this.threads.delete(c.tid);
      this.knownTid = Number.NaN;
    }
    return wanted && b.events.length >= this.opts.batchSize ? this.cut() : null;
  }

  private scratchArgs(n: number): ArgValue[] {
    return this.exitArgs[n]!.fill(null);
  }

  /** The thread's own reused enter array (all MAX_ARGS long: handlers index it by the event type's positions). */
  private stateEnterArgs(tid: number, n: number): ArgValue[] {
    const t = this.threads.get(tid);
    if (!t) return new Array<ArgValue>(n).fill(null);
    const a = (t.stateEnterArgs ??= new Array<ArgValue>(MAX_ARGS).fill(null)) as ArgValue[];
    return a.fill(null);
  }

  /** libsinsp makes a thread for an unknown tid on syscall events, not for the scheduler/tracepoint ones. */
  private makesThread(tid: number, code: number, m: EventMapping | undefined): boolean {
    return tid > 0 && m?.handler !== cloneExit && !NO_THREAD.has(EVENT_TYPES[code]!.name);
  }

  /** A thread first seen mid-capture: libsinsp makes one with "<NA>" names; execve and clone fill it in. */
  partialThread(tid: number): ThreadState {
    const t: ThreadState = {
      tid, pid: tid, ptid: -1, sid: -1, vpgid: -1,
      vtid: -1, vpid: -1, comm: '<NA>', exe: '<NA>', exepath: '', args: [], env: null, cwd: '', uid: 0xffffffff,
      gid: 0xffffffff, loginuid: 0xffffffff, tty: 0, capPermitted: 0n, capEffective: 0n, capInheritable: 0n,
      flags: ProcFlag.Partial, startTs: 0n, cgroups: [], container: '', fds: new Map(), rec: NO_REF, recSeq: -1,
      enterType: -1, enterArgs: null, stateEnterArgs: null,
    };
    this.threads.set(tid, t);
    return t;
  }

  /** The batch in progress, handed out and replaced by a new one. */
  cut(): EventBatch {
    const b = this.batch;
    this.seq++;
    this.batch = this.newBatch(this.seq);
    this.containerIdx = new Map();
    return b;
  }

  /**
   * An empty batch whose arrays already hold objects: the first record pushed into an empty literal changes the
   * array's elements kind, which deoptimized emit and procIndex when they met a new batch.
   */
  private newBatch(seq: number): EventBatch {
    const b = emptyBatch(this.opts.node, seq);
    b.events = objectArray();
    b.procs = objectArray();
    b.fds = objectArray();
    b.containers = objectArray();
    return b;
  }

  pending(): number {
    return this.batch.events.length;
  }

  procIndex(t: ThreadState, depth = 0): number {
    if (t.recSeq === this.seq) return t.rec;
    const main = this.threads.get(t.pid) ?? t;
    const b = this.batch;
    const idx = b.procs.length;
    t.rec = idx;
    t.recSeq = this.seq;
    const container = t.container ? this.containerIndex(t.container) : NO_REF;
    const rec = processRecord(t, NO_REF, container, this.creds, main);
    b.procs.push(rec);
    const parent = this.threads.get(t.ptid);
    if (parent && parent !== t && depth < 128) rec.parent = this.procIndex(parent, depth + 1);
    return idx;
  }

  fdIndex(f: FdState): number {
    if (f.recSeq === this.seq) return f.rec;
    const b = this.batch;
    f.rec = b.fds.length;
    f.recSeq = this.seq;
    b.fds.push(fdRecord(f));
    return f.rec;
  }

  private containerIndex(id: string): number {
    let i = this.containerIdx.get(id);
    if (i === undefined) {
      const c = this.containers.get(id);
      if (!c) return NO_REF;
      i = this.batch.containers.length;
      this.batch.containers.push(c);
      this.containerIdx.set(id, i);
    }
    return i;
  }

  /** The record of `t` changed: the next event gets a new one. */
  touch(t: ThreadState): void {
    t.recSeq = -1;
    for (const other of this.threads.values()) if (other.pid === t.pid && other !== t) other.recSeq = -1;
  }

  touchFd(f: FdState): void {
    f.recSeq = -1;
  }

  /** Registers a container event's metadata; returns its short id. */
  private containerEvent(c: EventCursor): string | null {
    c.params();
    if (c.nparams < 1) return null;
    const json = decodeParam(c.data, c.offs[0]!, c.lens[0]!, 'charbuf', false) as string;
    const info = containerFromJson(json);
    if (!info) return null;
    const short = info.id.slice(0, 12);
    const known = this.containers.get(short);
    if (known && known.id.length > info.id.length) info.id = known.id;
    this.containers.set(short, info);
    return short;
  }

  /** libsinsp attributes a container event to a made-up thread -1 named "container:ID". */
  private containerThread(id: string): void {
    const t = this.partialThread(-1);
    t.pid = -1;
    t.ptid = 0;
    t.uid = 0;
    t.gid = 0;
    t.comm = `container:${id}`;
    t.exe = '';
    t.container = id;
  }

  private applyMeta(name: string, c: EventCursor): void {
    c.params();
    const data = c.data;
    const u32 = (i: number) => (i < c.nparams ? (decodeParam(data, c.offs[i]!, c.lens[i]!, 'uint32', false) as number) : 0);
    const s = (i: number) => (i < c.nparams ? (decodeParam(data, c.offs[i]!, c.lens[i]!, 'charbuf', false) as string) : '');
    if (name === 'useradded' && c.type % 2 === 0) {
      if (s(5) === '' && !this.creds.users.has(u32(0))) this.creds.users.set(u32(0), { uid: u32(0), gid: u32(1), name: s(2), homedir: s(3), shell: s(4) });
    } else if (name === 'groupadded' && c.type % 2 === 0) {
      if (s(2) === '' && !this.creds.groups.has(u32(0))) this.creds.groups.set(u32(0), { gid: u32(0), name: s(1) });
    }
  }

  resolveAt(t: ThreadState, dirfd: ArgValue, path: string): string {
    if (path.startsWith('/')) return resolvePath('/', path);
    const main = this.threads.get(t.pid) ?? t;
    if (typeof dirfd === 'number' && dirfd !== AT_FDCWD) {
      const d = t.fds.get(dirfd);
      return d ? resolvePath(d.name, path) : path;
    }
    return resolvePath(main.cwd, path);
  }

  cwdOf(t: ThreadState): string {
    return (this.threads.get(t.pid) ?? t).cwd;
  }

  addFd(t: ThreadState, f: FdState): FdState {
    const old = t.fds.get(f.num);
    if (old) this.touchFd(old);
    t.fds.set(f.num, f);
    return f;
  }
}

/** An empty array of the object elements kind (an array literal holding an object, emptied). */
function objectArray<T>(): T[] {
  const a: unknown[] = [null];
  a.pop();
  return a as T[];
}

/** libsinsp keeps the cwd with a trailing slash. */
export function withSlash(dir: string): string {
  return dir === '' || dir.endsWith('/') ? dir : `${dir}/`;
}

// ---- handlers: what each event does to the state (exit events unless noted) ----

/** per event type code and direction (code * 2 + dir): argument name to its index, so handlers need no search */
const ARG_INDEX: Map<string, number>[] = EVENT_TYPES.flatMap((type) => [type.enter, type.exit].map(
  (params) => new Map(params.map((p, i) => [p.name, i] as const).reverse()),
));

const arg = (ev: SyscallEvent, t: ThreadState, name: string, dir: 0 | 1 = ev.dir): ArgValue | undefined => {
  const i = ARG_INDEX[ev.type * 2 + dir]!.get(name);
  if (i === undefined) return undefined;
  if (dir === ev.dir) return ev.args[i] ?? undefined;
  return t.enterType === ev.type && t.enterArgs ? (t.enterArgs[i] as ArgValue) ?? undefined : undefined;
};
/** An exit argument, falling back to the enter event's (old captures carried it there). */
const either = (ev: SyscallEvent, t: ThreadState, name: string): ArgValue | undefined => arg(ev, t, name, 1) ?? arg(ev, t, name, 0);

/** PPM open flags (flag-tables file_flags) */
const PPM_O_DIRECTORY = 1024;

function openExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  const fd = arg(ev, t, 'fd');
  if (typeof fd !== 'number' || fd < 0) return undefined;
  const raw = either(ev, t, 'name') ?? either(ev, t, 'path');
  const name = typeof raw === 'string' ? p.resolveAt(t, either(ev, t, 'dirfd') ?? AT_FDCWD, raw) : '';
  const flags = either(ev, t, 'flags');
  const f = newFd(fd, typeof flags === 'number' && flags & PPM_O_DIRECTORY ? FdType.Directory : FdType.File, name);
  f.openFlags = typeof flags === 'number' ? flags : 0;
  const dev = arg(ev, t, 'dev');
  if (typeof dev === 'number') f.dev = dev;
  const ino = arg(ev, t, 'ino');
  if (typeof ino === 'bigint') f.ino = Number(ino);
  return p.addFd(t, f);
}

const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_RAW = 3;

function socketExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  const fd = ev.args[0];
  if (typeof fd !== 'number' || fd < 0) return undefined;
  const domain = arg(ev, t, 'domain', 0);
  const stype = (arg(ev, t, 'type', 0) as number | undefined) ?? 0;
  const proto = (arg(ev, t, 'proto', 0) as number | undefined) ?? 0;
  const type = domain === SocketFamily.Inet ? FdType.Ipv4 : domain === SocketFamily.Inet6 ? FdType.Ipv6
    : domain === SocketFamily.Unix ? FdType.Unix : domain === SocketFamily.Netlink ? FdType.Netlink : FdType.Unknown;
  const f = newFd(fd, type, '');
  if (type === FdType.Ipv4 || type === FdType.Ipv6) {
    const base = stype & 0xf;
    f.pendingL4 = proto === 1 || proto === 58 ? L4Proto.Icmp : base === SOCK_STREAM ? L4Proto.Tcp : base === SOCK_DGRAM ? L4Proto.Udp
      : base === SOCK_RAW ? L4Proto.Raw : L4Proto.Unknown;
  }
  return p.addFd(t, f);
}

function applyTuple(p: Parser, f: FdState, tuple: SockTuple, role: FdRole): void {
  if (tuple.family === SocketFamily.Unix) {
    const space = tuple.dip.indexOf(' ');
    f.type = FdType.Unix;
    f.name = space >= 0 ? tuple.dip.slice(space + 1) : '';
  } else if (tuple.family === SocketFamily.Inet || tuple.family === SocketFamily.Inet6) {
    f.type = tuple.family === SocketFamily.Inet ? FdType.Ipv4 : FdType.Ipv6;
    f.sip = tuple.sip; f.sport = tuple.sport; f.dip = tuple.dip; f.dport = tuple.dport;
    f.role = role;
    f.name = tupleName(f);
    if (f.l4proto === L4Proto.Unknown) f.l4proto = f.pendingL4;
  } else {
    return;
  }
  p.touchFd(f);
}

const EINPROGRESS = 115;

function connectExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  const n = arg(ev, t, 'fd') ?? arg(ev, t, 'fd', 0);
  const f = typeof n === 'number' ? t.fds.get(n) : undefined;
  const tuple = arg(ev, t, 'tuple');
  if (!f || !tuple || typeof tuple !== 'object' || !('sip' in tuple)) return f;
  if (tuple.family === SocketFamily.Unix) {
    // libsinsp 0.29 shows the unix tuple on the connect exit only (failed or not); later events see the old name
    return { ...f, type: FdType.Unix, name: `${tuple.sip}->${tuple.dip}`, rec: NO_REF, recSeq: -1 };
  }
  if ((ev.res < 0 && ev.res !== -EINPROGRESS) || f.connected) return f;
  applyTuple(p, f, tuple, FdRole.Client);
  f.connected = true;
  return f;
}

function acceptExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  const fd = ev.args[0];
  if (typeof fd !== 'number' || fd < 0) return undefined;
  const f = newFd(fd, FdType.Unknown, '');
  const tuple = arg(ev, t, 'tuple');
  if (tuple && typeof tuple === 'object' && 'sip' in tuple) applyTuple(p, f, tuple, FdRole.Server);
  if (f.type === FdType.Ipv4 || f.type === FdType.Ipv6) f.l4proto = L4Proto.Tcp;
  return p.addFd(t, f);
}

function bindExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  const n = arg(ev, t, 'fd', 0);
  const f = typeof n === 'number' ? t.fds.get(n) : undefined;
  const addr = arg(ev, t, 'addr') as SockAddr | null | undefined;
  if (f && addr && (ev.res ?? 0) >= 0) {
    if (addr.family === SocketFamily.Unix) {
      f.name = addr.addr;
    } else if (addr.family === SocketFamily.Inet || addr.family === SocketFamily.Inet6) {
      f.dip = addr.addr; f.dport = addr.port; f.role = FdRole.Server;
      f.name = `${addr.addr}:${addr.port}`;
      // a client binding port 0 before connecting is not yet shown with its protocol
      if (f.l4proto === L4Proto.Unknown && addr.port !== 0) f.l4proto = f.pendingL4;
    }
    p.touchFd(f);
  }
  return f;
}

function closeExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  const n = arg(ev, t, 'fd', 0);
  const f = typeof n === 'number' ? t.fds.get(n) : undefined;
  if (f && ev.res >= 0) t.fds.delete(f.num);
  void p;
  return f;
}

function dupExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  const res = ev.args[0];
  if (typeof res !== 'number' || res < 0) return undefined;
  const oldN = arg(ev, t, 'oldfd') ?? arg(ev, t, 'fd', 0);
  const old = typeof oldN === 'number' ? t.fds.get(oldN) : undefined;
  if (!old) return undefined;
  return p.addFd(t, { ...old, num: res, rec: NO_REF, recSeq: -1 });
}

const PPM_F_DUPFD = 1;
const PPM_F_DUPFD_CLOEXEC = 26;

function fcntlExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  const cmd = arg(ev, t, 'cmd', 0);
  if (cmd !== PPM_F_DUPFD && cmd !== PPM_F_DUPFD_CLOEXEC) return undefined;
  const n = arg(ev, t, 'fd', 0);
  const old = typeof n === 'number' ? t.fds.get(n) : undefined;
  if (!old || ev.res < 0) return undefined;
  p.addFd(t, { ...old, num: ev.res, rec: NO_REF, recSeq: -1 });
  return old;
}

function pipeExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  if (ev.res < 0) return undefined;
  // libsinsp 0.29 names new pipes "" (only the capture's fd list has "pipe:[ino]"); the event shows the last one
  let last: FdState | undefined;
  for (const key of ['fd1', 'fd2']) {
    const n = arg(ev, t, key);
    if (typeof n === 'number' && n >= 0) last = p.addFd(t, newFd(n, FdType.Pipe, ''));
  }
  return last;
}

function socketpairExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  if (ev.res < 0) return undefined;
  for (const key of ['fd1', 'fd2']) {
    const n = arg(ev, t, key);
    if (typeof n === 'number' && n >= 0) p.addFd(t, newFd(n, FdType.Unix, ''));
  }
  return undefined;
}

function simpleFd(type: FdType, name: string): Handler {
  return (p, t, ev) => {
    const n = ev.args[0];
    if (typeof n !== 'number' || n < 0) return undefined;
    return p.addFd(t, newFd(n, type, name));
  };
}

function memfdExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  const n = ev.args[0];
  if (typeof n !== 'number' || n < 0) return undefined;
  const name = arg(ev, t, 'name');
  return p.addFd(t, newFd(n, FdType.Memfd, `memfd:${typeof name === 'string' ? name : ''}`));
}

function chdirExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  if (ev.res < 0) return undefined;
  const main = p.threads.get(t.pid) ?? t;
  const path = arg(ev, t, 'path');
  if (typeof path === 'string') {
    main.cwd = withSlash(resolvePath(main.cwd, path));
    p.touch(t);
  }
  return undefined;
}

function fchdirExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  const n = arg(ev, t, 'fd', 0);
  const f = typeof n === 'number' ? t.fds.get(n) : undefined;
  if (f && ev.res >= 0) {
    (p.threads.get(t.pid) ?? t).cwd = withSlash(f.name);
    p.touch(t);
  }
  return f;
}

const PPM_CL_CLONE_FILES = 1;
const PPM_CL_CLONE_THREAD = 8192;

/** clone/fork/vfork/clone3 exit: the parent's exit (res = child tid) or the child's (res = 0) creates the child. */
function cloneExit(p: Parser, t: ThreadState | undefined, ev: SyscallEvent): FdState | undefined {
  const res = ev.args[0];
  if (typeof res !== 'number' || res < 0) return undefined;
  const childTid = res === 0 ? ev.tid : res;
  if (res !== 0 && p.threads.has(childTid)) return undefined;
  const get = (name: string) => (t ? arg(ev, t, name) : argOf(ev, name));
  const flags = (get('flags') as number | undefined) ?? 0;
  const callerTid = res === 0 ? (get('ptid') as number) : ev.tid;
  const parent = res === 0 ? p.threads.get(callerTid) ?? undefined : t;
  const isThread = (flags & PPM_CL_CLONE_THREAD) !== 0;
  const pidArg = get('pid') as number | undefined;
  const existing = p.threads.get(childTid);
  if (existing && res === 0) return undefined;
  const cgroups = (get('cgroups') as string[] | null | undefined) ?? parent?.cgroups ?? [];
  const exe = (get('exe') as string | undefined) ?? parent?.exe ?? '';
  const child: ThreadState = {
    tid: childTid,
    pid: isThread ? (res === 0 ? pidArg ?? childTid : parent?.pid ?? childTid) : childTid,
    // a new thread's parent is the thread that created it (libsinsp's proc.pname reads it)
    ptid: res === 0 ? (isThread ? callerOf(p, ev, pidArg) : callerTid) : ev.tid,
    sid: parent?.sid ?? -1, vpgid: parent?.vpgid ?? -1,
    vtid: res === 0 ? (get('vtid') as number | undefined) ?? childTid : childTid,
    vpid: res === 0 ? (get('vpid') as number | undefined) ?? childTid : childTid,
    comm: (get('comm') as string | undefined) ?? parent?.comm ?? exe,
    exe, exepath: parent?.exepath ?? '', args: (get('args') as string[] | undefined) ?? parent?.args ?? [],
    env: parent?.env ?? null, cwd: (get('cwd') as string | undefined) ?? parent?.cwd ?? '',
    uid: (get('uid') as number | undefined) ?? parent?.uid ?? 0, gid: (get('gid') as number | undefined) ?? parent?.gid ?? 0,
    loginuid: parent?.loginuid ?? 0xffffffff, tty: parent?.tty ?? 0,
    capPermitted: parent?.capPermitted ?? 0n, capEffective: parent?.capEffective ?? 0n,
    capInheritable: parent?.capInheritable ?? 0n, flags: parent?.flags ?? 0, startTs: ev.ts, cgroups,
    container: p.containerOf(cgroups),
    fds: parent ? (isThread || flags & PPM_CL_CLONE_FILES ? parent.fds : copyFds(parent.fds)) : new Map(),
    rec: NO_REF, recSeq: -1, enterType: -1, enterArgs: null, stateEnterArgs: null,
  };
  if (res !== 0 && isThread && parent) child.pid = parent.pid;
  p.threads.set(childTid, child);
  return undefined;
}

/** In the child's own clone exit the caller is not named: for a thread, the process's main thread made it. */
function callerOf(p: Parser, ev: SyscallEvent, pid: number | undefined): number {
  void p;
  return pid ?? ev.tid;
}

function argOf(ev: SyscallEvent, name: string): ArgValue | undefined {
  const i = ARG_INDEX[ev.type * 2 + 1]!.get(name);
  return i !== undefined ? ev.args[i] ?? undefined : undefined;
}

function copyFds(fds: Map<number, FdState>): Map<number, FdState> {
  const out = new Map<number, FdState>();
  for (const [n, f] of fds) out.set(n, { ...f, rec: NO_REF, recSeq: -1 });
  return out;
}

function execveExit(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  if (ev.res < 0) return undefined;
  if (t.flags & ProcFlag.Partial) {
    const pid = arg(ev, t, 'pid');
    const ptid = arg(ev, t, 'ptid');
    if (typeof pid === 'number') t.pid = pid;
    if (typeof ptid === 'number') t.ptid = ptid;
  }
  const exe = arg(ev, t, 'exe');
  if (typeof exe === 'string') t.exe = exe;
  const args = arg(ev, t, 'args');
  if (Array.isArray(args)) t.args = args;
  const comm = arg(ev, t, 'comm');
  t.comm = typeof comm === 'string' ? comm : t.exe.slice(t.exe.lastIndexOf('/') + 1);
  const env = arg(ev, t, 'env');
  if (Array.isArray(env)) t.env = env;
  const cgroups = arg(ev, t, 'cgroups');
  if (Array.isArray(cgroups)) {
    t.cgroups = cgroups;
    t.container = p.containerOf(cgroups);
  }
  const tty = arg(ev, t, 'tty');
  if (typeof tty === 'number') t.tty = tty;
  const pgid = arg(ev, t, 'pgid');
  if (typeof pgid === 'number') t.vpgid = pgid;
  const loginuid = arg(ev, t, 'loginuid');
  if (typeof loginuid === 'number') t.loginuid = loginuid;
  const uid = arg(ev, t, 'uid');
  if (typeof uid === 'number') t.uid = uid;
  for (const [name, key] of [['cap_permitted', 'capPermitted'], ['cap_effective', 'capEffective'], ['cap_inheritable', 'capInheritable']] as const) {
    const v = arg(ev, t, name);
    if (typeof v === 'bigint') t[key] = v;
  }
  // libsinsp 0.29 takes the executable path only from the driver's trusted_exepath
  const trusted = arg(ev, t, 'trusted_exepath');
  if (typeof trusted === 'string' && trusted !== '') t.exepath = trusted;
  const flags = arg(ev, t, 'flags');
  if (typeof flags === 'number') {
    // execve_flags: PPM_EXE_WRITABLE 1, PPM_EXE_UPPER_LAYER 2, PPM_EXE_FROM_MEMFD 4, PPM_EXE_LOWER_LAYER 8
    t.flags = (t.flags & ProcFlag.Partial) | (flags & 1 ? ProcFlag.ExeWritable : 0) | (flags & 2 ? ProcFlag.ExeUpperLayer : 0)
      | (flags & 4 ? ProcFlag.ExeFromMemfd : 0) | (flags & 8 ? ProcFlag.ExeLowerLayer : 0);
  }
  p.touch(t);
  return undefined;
}

function credsHandler(apply: (t: ThreadState, enter: readonly ArgValue[]) => void): Handler {
  return (p, t, ev) => {
    if (ev.res < 0 || t.enterType !== ev.type || !t.enterArgs) return undefined;
    apply(t, t.enterArgs as ArgValue[]);
    p.touch(t);
    return undefined;
  };
}
const setId = (v: ArgValue | undefined, cur: number) => (typeof v === 'number' && v !== 0xffffffff ? v : cur);

/**
 * Unconnected sockets take their peer from sendto/recvfrom tuples, on the exit event (sendto's tuple is on its
 * enter); an unspecified source address reads as the destination's, as libsinsp shows it.
 */
function rwTuple(p: Parser, t: ThreadState, ev: SyscallEvent): FdState | undefined {
  const n = t.enterType === ev.type ? t.enterArgs?.[0] : undefined;
  const f = typeof n === 'number' ? t.fds.get(n) : undefined;
  const tuple = arg(ev, t, 'tuple', 1) ?? arg(ev, t, 'tuple', 0);
  if (!f || !tuple || typeof tuple !== 'object' || !('sip' in tuple) || ev.res < 0) return f;
  if ((f.type === FdType.Ipv4 || f.type === FdType.Ipv6) && f.dip === '' && tuple.family !== SocketFamily.Unix) {
    const unspecified = tuple.sip === '::' || tuple.sip === '0.0.0.0';
    applyTuple(p, f, unspecified ? { ...tuple, sip: tuple.dip } : tuple, FdRole.Client);
  }
  return f;
}

const HANDLERS: Record<string, [Handler | undefined, Handler | undefined]> = {
  open: [undefined, openExit], openat: [undefined, openExit], openat2: [undefined, openExit], creat: [undefined, openExit],
  open_by_handle_at: [undefined, openExit],
  socket: [undefined, socketExit], socketpair: [undefined, socketpairExit], connect: [undefined, connectExit],
  accept: [undefined, acceptExit], accept4: [undefined, acceptExit], bind: [undefined, bindExit],
  close: [undefined, closeExit], dup: [undefined, dupExit], dup2: [undefined, dupExit], dup3: [undefined, dupExit],
  fcntl: [undefined, fcntlExit], pipe: [undefined, pipeExit], pipe2: [undefined, pipeExit],
  eventfd: [undefined, simpleFd(FdType.Event, 'anon_inode:[eventfd]')],
  eventfd2: [undefined, simpleFd(FdType.Event, 'anon_inode:[eventfd]')],
  signalfd: [undefined, simpleFd(FdType.Signalfd, 'anon_inode:[signalfd]')],
  signalfd4: [undefined, simpleFd(FdType.Signalfd, 'anon_inode:[signalfd]')],
  timerfd_create: [undefined, simpleFd(FdType.Timerfd, 'anon_inode:[timerfd]')],
  inotify_init: [undefined, simpleFd(FdType.Inotify, 'anon_inode:[inotify]')],
  inotify_init1: [undefined, simpleFd(FdType.Inotify, 'anon_inode:[inotify]')],
  epoll_create: [undefined, simpleFd(FdType.Eventpoll, 'anon_inode:[eventpoll]')],
  epoll_create1: [undefined, simpleFd(FdType.Eventpoll, 'anon_inode:[eventpoll]')],
  userfaultfd: [undefined, simpleFd(FdType.Userfaultfd, 'anon_inode:[userfaultfd]')],
  io_uring_setup: [undefined, simpleFd(FdType.IoUring, 'anon_inode:[io_uring]')],
  pidfd_open: [undefined, simpleFd(FdType.Pidfd, 'anon_inode:[pidfd]')],
  bpf: [undefined, simpleFd(FdType.Bpf, 'anon_inode:bpf')],
  memfd_create: [undefined, memfdExit],
  chdir: [undefined, chdirExit], fchdir: [undefined, fchdirExit],
  clone: [undefined, cloneExit], fork: [undefined, cloneExit], vfork: [undefined, cloneExit], clone3: [undefined, cloneExit],
  execve: [undefined, execveExit], execveat: [undefined, execveExit],
  setuid: [undefined, credsHandler((t, a) => { t.uid = setId(a[0], t.uid); })],
  setgid: [undefined, credsHandler((t, a) => { t.gid = setId(a[0], t.gid); })],
  setresuid: [undefined, credsHandler((t, a) => { t.uid = setId(a[1], t.uid); })],
  setresgid: [undefined, credsHandler((t, a) => { t.gid = setId(a[1], t.gid); })],
  sendto: [undefined, rwTuple], sendmsg: [undefined, rwTuple], recvfrom: [undefined, rwTuple], recvmsg: [undefined, rwTuple],
};
