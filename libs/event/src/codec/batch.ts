/**
 * The binary batch codec: how an EventBatch crosses NATS.
 *
 * Chosen over msgpackr-with-records and JSON by `libs/event/bench/codec.bench.ts` (figures in its output).
 *
 * Layout, little-endian:
 *   header   magic "PRGB" (4) · schema version u16 · total length u32 · counts u32 of containers, procs, fds, events
 *   body     node str · cluster str · seq int · containers · procs · fds · events
 * Primitives:
 *   int      zigzag LEB128 varint (integers in (-2^52, 2^52))
 *   str      varint h: h odd = a new string of (h-1)/2 UTF-8 bytes follows, and gets the next number;
 *            h even = the string numbered h/2 earlier in this batch (per-batch dedup of names, paths, labels)
 *   big      tag u8: 0 = u64 · 1 = negative i64 · 2 = sign u8 + varint length + magnitude bytes, least first
 *   ref      int in [-1, table length): an index into the batch's own tables
 * Events store `num` as the int difference from the previous event's, and `ts` as varint h: h = 0 is a full big
 * follows, else the zigzag difference from the previous event's ts is h - 1 (the first event's "previous" is
 * num 0, ts 0n); everything else field by field in schema order (see the writers below).
 * Decoding checks every length, count, reference and enumeration, and that the body ends where the header says.
 */
import {
  NO_REF, SCHEMA_VERSION, SocketFamily, FdType, FdRole, L4Proto, MetadataState, Direction,
  type ArgValue, type ContainerInfo, type ContainerMount, type EventBatch, type FdInfo, type K8sInfo,
  type ProcessInfo, type SockAddr, type SockTuple, type SyscallEvent,
} from '../schema.ts';
import { CodecError, SchemaVersionError } from '../errors.ts';
import { ByteReader } from './reader.ts';
import { ByteWriter } from './writer.ts';

/** "PRGB" read as a little-endian u32. */
const MAGIC = 0x42475250;
const HEADER_BYTES = 26;

const Arg = {
  Null: 0, Int: 1, Float: 2, Big: 3, String: 4, Strings: 5, Bytes: 6, SockAddr: 7, SockTuple: 8,
} as const;
const Big = { U64: 0, NegI64: 1, Arbitrary: 2 } as const;
const Bool = { False: 0, True: 1, Null: 2 } as const;

const U64_MAX = (1n << 64n) - 1n;
/** Event nums and ts deltas stay well inside exact doubles once zigzagged (and, for nums, differenced). */
const MAX_EVENT_NUM = 2 ** 51;
const MAX_TS_DELTA = 1n << 50n;
const I64_MIN = -(1n << 63n);

/** Smallest encoded size of each record, to refuse impossible counts before allocating for them. */
const MIN_BYTES = { container: 13, proc: 27, fd: 12, event: 10, mount: 5, label: 2, item: 1 } as const;

const setOf = (o: Record<string, number>): ReadonlySet<number> => new Set(Object.values(o));
const FAMILIES = setOf(SocketFamily);
const FD_TYPES = setOf(FdType);
const FD_ROLES = setOf(FdRole);
const L4_PROTOS = setOf(L4Proto);
const METADATA_STATES = setOf(MetadataState);
const DIRECTIONS = setOf(Direction);
const BOOLS = setOf(Bool);

let shared: ByteWriter | undefined;

/** Encodes a batch; the result is a fresh copy (the working buffer is reused across calls). */
export function encodeBatch(batch: EventBatch): Uint8Array {
  shared ??= new ByteWriter();
  const w = shared;
  w.reset();
  w.ensure(HEADER_BYTES);
  w.u32At(0, MAGIC);
  w.u16At(4, SCHEMA_VERSION);
  w.u32At(10, batch.containers.length);
  w.u32At(14, batch.procs.length);
  w.u32At(18, batch.fds.length);
  w.u32At(22, batch.events.length);
  w.pos = HEADER_BYTES;
  w.string(batch.node);
  w.string(batch.cluster);
  w.int(batch.seq, 'seq');
  for (const c of batch.containers) writeContainer(w, c);
  for (const p of batch.procs) writeProc(w, p);
  for (const f of batch.fds) writeFd(w, f);
  let prev: SyscallEvent | undefined;
  for (const e of batch.events) {
    writeEvent(w, e, prev);
    prev = e;
  }
  if (w.pos > 0xffffffff) throw new CodecError(w.pos, 'batch larger than 4 GiB');
  w.u32At(6, w.pos);
  return w.finish();
}

/**
 * `encodeBatch`, except that events the codec refuses (a producer bug: an unset argument, a wrong type) are left out
 * instead of failing the whole batch: one bad event costs only itself. Pays for the search only when encoding failed.
 * A bad process, fd or container record still fails the batch, since events may refer to it.
 */
export function encodeBatchPruning(batch: EventBatch): { data: Uint8Array; pruned: SyscallEvent[]; error: CodecError | null } {
  try {
    return { data: encodeBatch(batch), pruned: [], error: null };
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    const kept: SyscallEvent[] = [];
    const pruned: SyscallEvent[] = [];
    for (const ev of batch.events) {
      try {
        encodeBatch({ ...batch, containers: [], procs: [], fds: [], events: [{ ...ev, proc: NO_REF, fd: NO_REF }] });
        kept.push(ev);
      } catch {
        pruned.push(ev);
      }
    }
    if (pruned.length === 0) throw e;
    return { data: encodeBatch({ ...batch, events: kept }), pruned, error: e };
  }
}

/** Decodes a batch or throws CodecError / SchemaVersionError; never returns a partly read batch. */
export function decodeBatch(data: Uint8Array): EventBatch {
  if (data.length < HEADER_BYTES) throw new CodecError(data.length, `truncated header: ${data.length} of ${HEADER_BYTES} bytes`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new CodecError(0, 'not a Peregrine batch (bad magic)');
  const version = view.getUint16(4, true);
  if (version !== SCHEMA_VERSION) throw new SchemaVersionError(version, SCHEMA_VERSION);
  const total = view.getUint32(6, true);
  if (total !== data.length) throw new CodecError(6, `header says ${total} bytes, message has ${data.length}`);
  const r = new ByteReader(data, HEADER_BYTES, total);
  const nContainers = headerCount(r, view, 10, MIN_BYTES.container, 'containers');
  const nProcs = headerCount(r, view, 14, MIN_BYTES.proc, 'procs');
  const nFds = headerCount(r, view, 18, MIN_BYTES.fd, 'fds');
  const nEvents = headerCount(r, view, 22, MIN_BYTES.event, 'events');

  const node = r.string('node');
  const cluster = r.string('cluster');
  const seq = r.int('seq');
  const containers: ContainerInfo[] = new Array(nContainers);
  for (let i = 0; i < nContainers; i++) containers[i] = readContainer(r);
  const procs: ProcessInfo[] = new Array(nProcs);
  const procsStart = r.pos;
  for (let i = 0; i < nProcs; i++) procs[i] = readProc(r, nContainers);
  // Parents may come after their children in the table, so they are checked once all are read.
  for (const p of procs) if (p.parent < -1 || p.parent >= nProcs) r.fail(`proc parent ${p.parent} outside [-1, ${nProcs})`, procsStart);
  const fds: FdInfo[] = new Array(nFds);
  for (let i = 0; i < nFds; i++) fds[i] = readFd(r);
  const events: SyscallEvent[] = new Array(nEvents);
  for (let i = 0; i < nEvents; i++) events[i] = readEvent(r, nProcs, nFds, i > 0 ? events[i - 1] : undefined);
  if (r.pos !== total) r.fail(`${total - r.pos} bytes left after the last event`);
  return { schema: SCHEMA_VERSION, node, cluster, seq, events, procs, fds, containers };
}

function headerCount(r: ByteReader, view: DataView, at: number, minBytes: number, what: string): number {
  const n = view.getUint32(at, true);
  if (n * minBytes > r.end - r.pos) r.fail(`header count of ${what} ${n} exceeds the message size`, at);
  return n;
}

// ---- writers ----

function writeEvent(w: ByteWriter, e: SyscallEvent, prev: SyscallEvent | undefined): void {
  if (!Number.isInteger(e.num) || Math.abs(e.num) >= MAX_EVENT_NUM) throw new CodecError(w.pos, `event num must be an integer in (-2^51, 2^51), got ${e.num}`);
  w.int(e.num - (prev?.num ?? 0), 'event num');
  writeTs(w, e.ts, prev?.ts ?? 0n);
  w.int(e.type, 'event type');
  writeEnum(w, DIRECTIONS, e.dir, 'event dir');
  w.int(e.cpu, 'event cpu');
  w.int(e.tid, 'event tid');
  w.int(e.proc, 'event proc');
  w.int(e.fd, 'event fd');
  w.int(e.res, 'event res');
  const args = e.args;
  w.varuint(args.length);
  for (let i = 0; i < args.length; i++) writeArg(w, args[i]!);
}

function writeArg(w: ByteWriter, v: ArgValue): void {
  if (v === null) {
    w.u8(Arg.Null);
  } else if (typeof v === 'number') {
    if (ByteWriter.isVarintInt(v)) {
      w.u8(Arg.Int);
      w.int(v, 'arg');
    } else {
      w.u8(Arg.Float);
      w.f64(v);
    }
  } else if (typeof v === 'string') {
    w.u8(Arg.String);
    w.string(v);
  } else if (typeof v === 'bigint') {
    w.u8(Arg.Big);
    writeBig(w, v);
  } else if (v instanceof Uint8Array) {
    w.u8(Arg.Bytes);
    w.varuint(v.length);
    w.bytes(v);
  } else if (Array.isArray(v)) {
    w.u8(Arg.Strings);
    writeStrings(w, v);
  } else if (typeof v !== 'object') {
    // undefined, a boolean…: outside ArgValue, a producer bug; refuse it as a codec error so it can be pruned
    throw new CodecError(w.pos, `argument of type ${typeof v} is not an ArgValue`);
  } else if ('sip' in v) {
    w.u8(Arg.SockTuple);
    writeEnum(w, FAMILIES, v.family, 'tuple family');
    w.string(v.sip);
    w.int(v.sport, 'tuple sport');
    w.string(v.dip);
    w.int(v.dport, 'tuple dport');
  } else {
    w.u8(Arg.SockAddr);
    writeEnum(w, FAMILIES, v.family, 'sockaddr family');
    w.string(v.addr);
    w.int(v.port, 'sockaddr port');
  }
}

/** A timestamp as the difference from the previous event's (varint 1 + zigzag); 0 escapes to a full bigint. */
function writeTs(w: ByteWriter, ts: bigint, prev: bigint): void {
  const d = ts - prev;
  if (d > -MAX_TS_DELTA && d < MAX_TS_DELTA) {
    const n = Number(d);
    w.varuint((n >= 0 ? n * 2 : -n * 2 - 1) + 1);
  } else {
    w.u8(0);
    writeBig(w, ts);
  }
}

function readTs(r: ByteReader, prev: bigint): bigint {
  const h = r.varuint('event ts');
  if (h === 0) return readBig(r, 'event ts');
  const z = h - 1;
  return prev + BigInt(z % 2 === 0 ? z / 2 : -(z + 1) / 2);
}

/** Enumerations are checked on the way out too, so a producer's bad value fails where it is made. */
function writeEnum(w: ByteWriter, valid: ReadonlySet<number>, v: number, field: string): void {
  if (!valid.has(v)) throw new CodecError(w.pos, `${field} ${v} is not a known value`);
  w.u8(v);
}

function writeBig(w: ByteWriter, v: bigint): void {
  if (v >= 0n && v <= U64_MAX) {
    w.u8(Big.U64);
    w.bigU64(v);
  } else if (v < 0n && v >= I64_MIN) {
    w.u8(Big.NegI64);
    w.bigI64(v);
  } else {
    w.u8(Big.Arbitrary);
    w.u8(v < 0n ? 1 : 0);
    let mag = v < 0n ? -v : v;
    const bytes: number[] = [];
    while (mag > 0n) {
      bytes.push(Number(mag & 0xffn));
      mag >>= 8n;
    }
    w.varuint(bytes.length);
    w.bytes(Uint8Array.from(bytes));
  }
}

function writeStrings(w: ByteWriter, v: readonly string[]): void {
  w.varuint(v.length);
  for (let i = 0; i < v.length; i++) w.string(v[i]!);
}

function writeLabels(w: ByteWriter, labels: Record<string, string>): void {
  const keys = Object.keys(labels);
  w.varuint(keys.length);
  for (const k of keys) {
    w.string(k);
    w.string(labels[k]!);
  }
}

function writeBool(w: ByteWriter, v: boolean | null): void {
  w.u8(v === null ? Bool.Null : v ? Bool.True : Bool.False);
}

function writeProc(w: ByteWriter, p: ProcessInfo): void {
  w.int(p.pid, 'proc pid');
  w.int(p.ppid, 'proc ppid');
  w.int(p.vpid, 'proc vpid');
  w.int(p.sid, 'proc sid');
  w.int(p.vpgid, 'proc vpgid');
  w.int(p.parent, 'proc parent');
  w.int(p.container, 'proc container');
  w.string(p.name);
  w.string(p.exe);
  w.string(p.exepath);
  writeStrings(w, p.args);
  if (p.env === null) {
    w.varuint(0);
  } else {
    w.varuint(p.env.length + 1);
    for (const s of p.env) w.string(s);
  }
  w.string(p.cwd);
  w.int(p.tty, 'proc tty');
  w.int(p.uid, 'proc uid');
  w.int(p.gid, 'proc gid');
  w.int(p.loginuid, 'proc loginuid');
  w.string(p.user);
  w.string(p.loginuser);
  w.string(p.group);
  w.string(p.homedir);
  w.string(p.shell);
  writeBig(w, p.startTs);
  writeBig(w, p.capPermitted);
  writeBig(w, p.capEffective);
  writeBig(w, p.capInheritable);
  w.int(p.flags, 'proc flags');
  w.int(p.pidns, 'proc pidns');
}

function writeFd(w: ByteWriter, f: FdInfo): void {
  w.int(f.num, 'fd num');
  writeEnum(w, FD_TYPES, f.type, 'fd type');
  w.string(f.name);
  w.int(f.openFlags, 'fd openFlags');
  w.int(f.dev, 'fd dev');
  w.int(f.ino, 'fd ino');
  writeEnum(w, L4_PROTOS, f.l4proto, 'fd l4proto');
  w.string(f.sip);
  w.int(f.sport, 'fd sport');
  w.string(f.dip);
  w.int(f.dport, 'fd dport');
  writeEnum(w, FD_ROLES, f.role, 'fd role');
}

function writeContainer(w: ByteWriter, c: ContainerInfo): void {
  w.string(c.id);
  w.string(c.type);
  w.string(c.name);
  w.string(c.image);
  w.string(c.imageRepository);
  w.string(c.imageTag);
  w.string(c.imageDigest);
  w.string(c.imageId);
  writeBool(w, c.privileged);
  w.varuint(c.mounts.length);
  for (const m of c.mounts) {
    w.string(m.source);
    w.string(m.dest);
    w.string(m.mode);
    writeBool(w, m.rdwr);
    w.string(m.propagation);
  }
  writeBig(w, c.startTs);
  if (c.k8s === null) {
    w.u8(0);
  } else {
    w.u8(1);
    const k = c.k8s;
    w.string(k.nsName);
    writeLabels(w, k.nsLabels);
    w.string(k.podName);
    w.string(k.podUid);
    w.string(k.podIp);
    writeLabels(w, k.podLabels);
    w.string(k.workloadKind);
    w.string(k.workloadName);
  }
  writeEnum(w, METADATA_STATES, c.metadata, 'container metadata');
}

// ---- readers ----

function readEvent(r: ByteReader, nProcs: number, nFds: number, prev: SyscallEvent | undefined): SyscallEvent {
  const at = r.pos;
  const num = (prev?.num ?? 0) + r.int('event num');
  if (Math.abs(num) >= MAX_EVENT_NUM) r.fail(`event num ${num} out of range`, at);
  const ts = readTs(r, prev?.ts ?? 0n);
  const type = r.int('event type');
  const dir = r.enumU8(DIRECTIONS, 'event dir') as Direction;
  const cpu = r.int('event cpu');
  const tid = r.int('event tid');
  const proc = r.ref(nProcs, 'event proc');
  const fd = r.ref(nFds, 'event fd');
  const res = r.int('event res');
  const n = r.count(MIN_BYTES.item, 'event args');
  const args: ArgValue[] = new Array(n);
  for (let i = 0; i < n; i++) args[i] = readArg(r);
  return { num, ts, type, dir, cpu, tid, proc, fd, res, args };
}

function readArg(r: ByteReader): ArgValue {
  const at = r.pos;
  const tag = r.u8('arg tag');
  switch (tag) {
    case Arg.Null: return null;
    case Arg.Int: return r.int('arg');
    case Arg.Float: return r.f64('arg');
    case Arg.Big: return readBig(r, 'arg');
    case Arg.String: return r.string('arg');
    case Arg.Strings: return readStrings(r, 'arg strings');
    case Arg.Bytes: return r.bytes(r.varuint('arg bytes length'), 'arg bytes');
    case Arg.SockAddr: {
      const family = r.enumU8(FAMILIES, 'sockaddr family') as SocketFamily;
      const addr = r.string('sockaddr addr');
      const port = r.int('sockaddr port');
      return { family, addr, port } satisfies SockAddr;
    }
    case Arg.SockTuple: {
      const family = r.enumU8(FAMILIES, 'tuple family') as SocketFamily;
      const sip = r.string('tuple sip');
      const sport = r.int('tuple sport');
      const dip = r.string('tuple dip');
      const dport = r.int('tuple dport');
      return { family, sip, sport, dip, dport } satisfies SockTuple;
    }
    default: return r.fail(`unknown arg tag ${tag}`, at);
  }
}

function readBig(r: ByteReader, what: string): bigint {
  const at = r.pos;
  const tag = r.u8(what);
  if (tag === Big.U64) return r.bigU64(what);
  if (tag === Big.NegI64) {
    const v = r.bigI64(what);
    if (v >= 0n) r.fail(`${what} negative i64 tag holds ${v}`, at);
    return v;
  }
  if (tag !== Big.Arbitrary) r.fail(`unknown ${what} bigint tag ${tag}`, at);
  const negative = r.enumU8(BOOLS, `${what} sign`) === 1;
  const bytes = r.bytes(r.varuint(`${what} length`), what);
  let mag = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) mag = (mag << 8n) | BigInt(bytes[i]!);
  const v = negative ? -mag : mag;
  // The writer only uses this form outside the fixed-width ranges; anything else is a corrupt or foreign writer.
  if ((v >= 0n && v <= U64_MAX) || (v < 0n && v >= I64_MIN)) r.fail(`${what} arbitrary bigint ${v} fits a fixed form`, at);
  return v;
}

function readStrings(r: ByteReader, what: string): string[] {
  const n = r.count(MIN_BYTES.item, what);
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = r.string(what);
  return out;
}

function readLabels(r: ByteReader, what: string): Record<string, string> {
  const n = r.count(MIN_BYTES.label, what);
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const k = r.string(`${what} key`);
    const v = r.string(`${what} value`);
    // A label named __proto__ must become an own property, not the object's prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}

function readBool(r: ByteReader, what: string): boolean | null {
  const v = r.enumU8(BOOLS, what);
  return v === Bool.Null ? null : v === Bool.True;
}

function readProc(r: ByteReader, nContainers: number): ProcessInfo {
  const pid = r.int('proc pid');
  const ppid = r.int('proc ppid');
  const vpid = r.int('proc vpid');
  const sid = r.int('proc sid');
  const vpgid = r.int('proc vpgid');
  const parent = r.int('proc parent');
  const container = r.ref(nContainers, 'proc container');
  const name = r.string('proc name');
  const exe = r.string('proc exe');
  const exepath = r.string('proc exepath');
  const args = readStrings(r, 'proc args');
  const envCount = r.count(MIN_BYTES.item, 'proc env');
  let env: string[] | null = null;
  if (envCount > 0) {
    env = new Array(envCount - 1);
    for (let i = 0; i < envCount - 1; i++) env[i] = r.string('proc env');
  }
  const cwd = r.string('proc cwd');
  const tty = r.int('proc tty');
  const uid = r.int('proc uid');
  const gid = r.int('proc gid');
  const loginuid = r.int('proc loginuid');
  const user = r.string('proc user');
  const loginuser = r.string('proc loginuser');
  const group = r.string('proc group');
  const homedir = r.string('proc homedir');
  const shell = r.string('proc shell');
  const startTs = readBig(r, 'proc startTs');
  const capPermitted = readBig(r, 'proc capPermitted');
  const capEffective = readBig(r, 'proc capEffective');
  const capInheritable = readBig(r, 'proc capInheritable');
  const flags = r.int('proc flags');
  const pidns = r.int('proc pidns');
  return {
    pid, ppid, vpid, sid, vpgid, parent, container, name, exe, exepath, args, env, cwd, tty, uid, gid, loginuid,
    user, loginuser, group, homedir, shell, startTs, capPermitted, capEffective, capInheritable, flags, pidns,
  };
}

function readFd(r: ByteReader): FdInfo {
  const num = r.int('fd num');
  const type = r.enumU8(FD_TYPES, 'fd type') as FdType;
  const name = r.string('fd name');
  const openFlags = r.int('fd openFlags');
  const dev = r.int('fd dev');
  const ino = r.int('fd ino');
  const l4proto = r.enumU8(L4_PROTOS, 'fd l4proto') as L4Proto;
  const sip = r.string('fd sip');
  const sport = r.int('fd sport');
  const dip = r.string('fd dip');
  const dport = r.int('fd dport');
  const role = r.enumU8(FD_ROLES, 'fd role') as FdRole;
  return { num, type, name, openFlags, dev, ino, l4proto, sip, sport, dip, dport, role };
}

function readContainer(r: ByteReader): ContainerInfo {
  const id = r.string('container id');
  const type = r.string('container type');
  const name = r.string('container name');
  const image = r.string('container image');
  const imageRepository = r.string('container imageRepository');
  const imageTag = r.string('container imageTag');
  const imageDigest = r.string('container imageDigest');
  const imageId = r.string('container imageId');
  const privileged = readBool(r, 'container privileged');
  const nMounts = r.count(MIN_BYTES.mount, 'container mounts');
  const mounts: ContainerMount[] = new Array(nMounts);
  for (let i = 0; i < nMounts; i++) {
    const source = r.string('mount source');
    const dest = r.string('mount dest');
    const mode = r.string('mount mode');
    const at = r.pos;
    const rdwr = readBool(r, 'mount rdwr');
    if (rdwr === null) r.fail('mount rdwr is null', at);
    const propagation = r.string('mount propagation');
    mounts[i] = { source, dest, mode, rdwr, propagation };
  }
  const startTs = readBig(r, 'container startTs');
  const hasK8s = r.enumU8(BOOLS, 'container k8s presence');
  let k8s: K8sInfo | null = null;
  if (hasK8s === Bool.True) {
    const nsName = r.string('k8s nsName');
    const nsLabels = readLabels(r, 'k8s nsLabels');
    const podName = r.string('k8s podName');
    const podUid = r.string('k8s podUid');
    const podIp = r.string('k8s podIp');
    const podLabels = readLabels(r, 'k8s podLabels');
    const workloadKind = r.string('k8s workloadKind');
    const workloadName = r.string('k8s workloadName');
    k8s = { nsName, nsLabels, podName, podUid, podIp, podLabels, workloadKind, workloadName };
  } else if (hasK8s !== Bool.False) {
    r.fail('invalid container k8s presence', r.pos - 1);
  }
  const metadata = r.enumU8(METADATA_STATES, 'container metadata') as MetadataState;
  return { id, type, name, image, imageRepository, imageTag, imageDigest, imageId, privileged, mounts, startTs, k8s, metadata };
}
