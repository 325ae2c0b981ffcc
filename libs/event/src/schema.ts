/**
 * The event model: everything that flows between stages.
 *
 * A batch is self-contained. Events refer to the process, fd and container records they need by index into the
 * batch's own tables, so any evaluation replica can handle any batch with no shared state. An index reference is a
 * snapshot: when a process execs or an fd number is reused mid-batch, the producer appends a new record and later
 * events point at it. Producers deduplicate records within a batch (one record per distinct state).
 */

/** Bump when the meaning or layout of any record changes; decoders refuse other versions. */
export const SCHEMA_VERSION = 1;

/** "no record" for every index reference. */
export const NO_REF = -1;

export const Direction = { Enter: 0, Exit: 1 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

/** An event argument as libsinsp types it. Addresses are decoded records; raw bytes stay bytes. */
export type ArgValue = number | bigint | string | string[] | Uint8Array | SockTuple | SockAddr | null;

/** A socket address (`fd.sip`/`fd.sport`…): `family` says which fields are set. */
export interface SockAddr {
  family: SocketFamily;
  /** dotted IPv4, canonical IPv6, or unix path */
  addr: string;
  port: number;
}

/** A connection as libsinsp's `tuple` argument: source and destination. */
export interface SockTuple {
  family: SocketFamily;
  sip: string;
  sport: number;
  dip: string;
  dport: number;
}

export const SocketFamily = { Unspec: 0, Unix: 1, Inet: 2, Inet6: 10, Netlink: 16 } as const;
export type SocketFamily = (typeof SocketFamily)[keyof typeof SocketFamily];

export interface SyscallEvent {
  /** Per-node event counter, as `evt.num`. */
  num: number;
  /** Nanoseconds since the epoch. */
  ts: bigint;
  /** Event type code: see `EVENT_TYPES` in event-table.ts. */
  type: number;
  dir: Direction;
  cpu: number;
  tid: number;
  /** Index into `batch.procs`: the thread's process as it was at this event. */
  proc: number;
  /** Index into `batch.fds`: the fd this event acts on or creates, as it was at this event. */
  fd: number;
  /** Return value on exit events; 0 on enter events. */
  res: number;
  /** Arguments in the event table's order for this type and direction. */
  args: ArgValue[];
}

/** What `proc.*`, `thread.*`, `user.*` and `group.*` read. One record per process state. */
export interface ProcessInfo {
  pid: number;
  /** Main-thread tid of the thread that created this one (libsinsp's ptid of the main thread). */
  ppid: number;
  /** pid and tid as seen inside the process's pid namespace. */
  vpid: number;
  sid: number;
  vpgid: number;
  /** Index into `batch.procs` of the parent process record, NO_REF if the parent is unknown (or pid 1). */
  parent: number;
  /** Index into `batch.containers`, NO_REF for a host process (container.id = "host"). */
  container: number;
  /** proc.name: the comm (task name, at most 15 bytes in the kernel) */
  name: string;
  /** proc.exe: argv[0] as the process was started */
  exe: string;
  /** proc.exepath: the full path of the executable file */
  exepath: string;
  args: string[];
  /** Present only when capture of the environment is configured. */
  env: string[] | null;
  cwd: string;
  /** Controlling terminal device number, 0 for none. */
  tty: number;
  uid: number;
  gid: number;
  /** -1 (as 4294967295 in the kernel) when unset */
  loginuid: number;
  /** Names resolved against the process's own root (a container's /etc/passwd and /etc/group). */
  user: string;
  loginuser: string;
  group: string;
  homedir: string;
  shell: string;
  /** Process start (clone) time, ns since the epoch. */
  startTs: bigint;
  /** Capability sets as bitmasks. */
  capPermitted: bigint;
  capEffective: bigint;
  capInheritable: bigint;
  /** `ProcFlag` bits. */
  flags: number;
  /** PID namespace inode number, 0 if unknown. */
  pidns: number;
}

export const ProcFlag = {
  ExeFromMemfd: 1 << 0,
  ExeUpperLayer: 1 << 1,
  ExeWritable: 1 << 2,
  /** The thread table had no record and this one was built from partial information. */
  Partial: 1 << 3,
  ExeLowerLayer: 1 << 4,
} as const;

export const FdType = {
  Unknown: 0,
  File: 1,
  Directory: 2,
  Ipv4: 3,
  Ipv6: 4,
  Unix: 5,
  Pipe: 6,
  Event: 7,
  Signalfd: 8,
  Eventpoll: 9,
  Inotify: 10,
  Timerfd: 11,
  Netlink: 12,
  Memfd: 13,
  Bpf: 14,
  Userfaultfd: 15,
  IoUring: 16,
  Pidfd: 17,
} as const;
export type FdType = (typeof FdType)[keyof typeof FdType];

/** libsinsp's one-letter `fd.typechar` for each type, and its `fd.type` name. */
export const FD_TYPE_CHAR: Record<FdType, string> = {
  0: '?', 1: 'f', 2: 'd', 3: '4', 4: '6', 5: 'u', 6: 'p', 7: 'e', 8: 's', 9: 'l', 10: 'i', 11: 't', 12: 'n', 13: 'm',
  14: 'b', 15: 'u', 16: 'r', 17: 'P',
};
export const FD_TYPE_NAME: Record<FdType, string> = {
  0: 'unknown', 1: 'file', 2: 'directory', 3: 'ipv4', 4: 'ipv6', 5: 'unix', 6: 'pipe', 7: 'event', 8: 'signalfd',
  9: 'eventpoll', 10: 'inotify', 11: 'timerfd', 12: 'netlink', 13: 'memfd', 14: 'bpf', 15: 'userfaultfd',
  16: 'io_uring', 17: 'pidfd',
};

export const L4Proto = { Unknown: 0, Tcp: 6, Udp: 17, Icmp: 1, Raw: 255 } as const;
export type L4Proto = (typeof L4Proto)[keyof typeof L4Proto];

/** What `fd.*` reads. One record per fd state (an fd number reused is a new record). */
export interface FdInfo {
  num: number;
  type: FdType;
  /** fd.name: the path for files, "sip:sport->dip:dport" for sockets, the path for unix sockets… */
  name: string;
  /** Open flags (O_*) as passed at open, for files. */
  openFlags: number;
  dev: number;
  ino: number;
  /** Sockets only; empty strings and 0 otherwise. `sip`/`sport` are the client side as libsinsp orients them. */
  l4proto: L4Proto;
  sip: string;
  sport: number;
  dip: string;
  dport: number;
  /** Listening/server-side socket (fd.is_server…) */
  role: FdRole;
}

export const FdRole = { None: 0, Client: 1, Server: 2 } as const;
export type FdRole = (typeof FdRole)[keyof typeof FdRole];

export interface ContainerMount {
  source: string;
  dest: string;
  mode: string;
  rdwr: boolean;
  propagation: string;
}

/** What `container.*` and `k8s.*` read. Capture fills `id`, `type` and `cgroup`; enrichment fills the rest. */
export interface ContainerInfo {
  /** Full id (64 hex for docker/containerd/cri-o); `container.id` is its first 12 characters. */
  id: string;
  type: string;
  name: string;
  image: string;
  imageRepository: string;
  imageTag: string;
  imageDigest: string;
  imageId: string;
  /** null when not known */
  privileged: boolean | null;
  mounts: ContainerMount[];
  /** ns since the epoch, 0n when unknown */
  startTs: bigint;
  k8s: K8sInfo | null;
  /** `MetadataState` of this record, so late or missing metadata is visible downstream. */
  metadata: MetadataState;
}

export const MetadataState = { None: 0, Partial: 1, Complete: 2, TimedOut: 3 } as const;
export type MetadataState = (typeof MetadataState)[keyof typeof MetadataState];

export interface K8sInfo {
  nsName: string;
  nsLabels: Record<string, string>;
  podName: string;
  podUid: string;
  podIp: string;
  podLabels: Record<string, string>;
  /** The top owner through ownerReferences: Deployment, DaemonSet, StatefulSet, Job, CronJob, ReplicaSet or Pod. */
  workloadKind: string;
  workloadName: string;
}

export interface EventBatch {
  schema: typeof SCHEMA_VERSION;
  /** The node (host) whose capture produced the batch. */
  node: string;
  /** Set by enrichment: the cluster the node belongs to. */
  cluster: string;
  /** Per-node batch counter: consumers use it to check order and drop replays. */
  seq: number;
  events: SyscallEvent[];
  procs: ProcessInfo[];
  fds: FdInfo[];
  containers: ContainerInfo[];
}

/** Falco's alert JSON, plus our `uuid` and routing context. */
export interface Alert {
  uuid: string;
  /** ISO-8601 with nanoseconds, e.g. 2026-11-28T10:36:52.123456789Z */
  time: string;
  rule: string;
  priority: string;
  source: string;
  hostname: string;
  output: string;
  tags: string[];
  /** bigint: a 64-bit integer beyond 2^53 (evt.time in ns), written as bare digits by encodeAlert (libs/bus). */
  output_fields: Record<string, string | number | boolean | null | bigint>;
}

export function emptyBatch(node: string, seq: number): EventBatch {
  return { schema: SCHEMA_VERSION, node, cluster: '', seq, events: [], procs: [], fds: [], containers: [] };
}
