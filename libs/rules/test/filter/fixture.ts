/**
 * One self-contained batch for the language tests: a host shell under sshd, a containerised nginx with a shell
 * child in a Kubernetes pod, files and sockets, and the events that act on them. Events are named so tables read.
 */
import {
  Direction, FdRole, FdType, L4Proto, MetadataState, NO_REF, ProcFlag, SCHEMA_VERSION, SocketFamily, eventTypeByName,
  type ArgValue, type ContainerInfo, type EventBatch, type FdInfo, type ProcessInfo, type SyscallEvent,
} from '@peregrine/event';

const T0 = 1_764_326_212_123_456_789n; // 2025-11-28T10:36:52.123456789Z

function proc(p: Partial<ProcessInfo> & Pick<ProcessInfo, 'pid' | 'name'>): ProcessInfo {
  return {
    ppid: 0, vpid: p.pid, sid: p.pid, vpgid: p.pid, parent: NO_REF, container: NO_REF, exe: p.name,
    exepath: `/usr/bin/${p.name}`, args: [], env: null, cwd: '/', tty: 0, uid: 0, gid: 0, loginuid: -1, user: 'root',
    loginuser: '', group: 'root', homedir: '/root', shell: '/bin/bash', startTs: T0 - 5_000_000_000n,
    capPermitted: 0n, capEffective: 0n, capInheritable: 0n, flags: 0, pidns: 4026531836, ...p,
  };
}

function fd(f: Partial<FdInfo> & Pick<FdInfo, 'num' | 'type' | 'name'>): FdInfo {
  return {
    openFlags: 0, dev: 0, ino: 0, l4proto: L4Proto.Unknown, sip: '', sport: 0, dip: '', dport: 0, role: FdRole.None,
    ...f,
  };
}

const CAP_SYS_ADMIN = 1n << 21n;
const CAP_NET_RAW = 1n << 13n;
const CONTAINER_ID = '3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e';

export const PROCS = {
  systemd: 0,
  sshd: 1,
  bash: 2,
  nginx: 3,
  sh: 4,
  orphan: 5,
} as const;

const procs: ProcessInfo[] = [
  proc({ pid: 1, name: 'systemd', exepath: '/usr/lib/systemd/systemd', exe: '/sbin/init' }),
  proc({ pid: 812, ppid: 1, parent: 0, name: 'sshd', exepath: '/usr/sbin/sshd', args: ['-D'], exe: '/usr/sbin/sshd' }),
  proc({
    pid: 4242, ppid: 812, parent: 1, name: 'bash', exe: '-bash', exepath: '/usr/bin/bash', sid: 4242, vpgid: 4242,
    tty: 34816, cwd: '/root', uid: 1000, gid: 1000, user: 'alice', group: 'staff', loginuid: 1000, loginuser: 'alice',
    homedir: '/home/alice', env: ['HOME=/home/alice', 'TERM=xterm', 'EMPTY='], capEffective: CAP_SYS_ADMIN | CAP_NET_RAW,
    capPermitted: CAP_SYS_ADMIN | CAP_NET_RAW, flags: ProcFlag.ExeWritable, startTs: T0 - 2_000_000_000n,
  }),
  proc({
    pid: 9100, vpid: 1, ppid: 9000, name: 'nginx', args: ['-g', 'daemon off;'], exepath: '/usr/sbin/nginx',
    container: 0, uid: 101, user: 'nginx', group: 'nginx', sid: 9100, vpgid: 1,
  }),
  proc({
    pid: 9200, vpid: 7, ppid: 9100, parent: 3, name: 'sh', exe: 'sh', exepath: '/bin/busybox', args: ['-c', 'echo hi > /tmp/x'],
    container: 0, sid: 9100, vpgid: 1, cwd: '/var/www', flags: ProcFlag.ExeUpperLayer | ProcFlag.ExeFromMemfd,
  }),
  proc({ pid: 31337, ppid: 31000, name: 'mystery', exe: 'mystery', exepath: '', args: [], flags: ProcFlag.Partial }),
];

const fds: FdInfo[] = [
  fd({ num: 3, type: FdType.File, name: '/etc/shadow', openFlags: 4097, dev: 2049, ino: 131 }),
  fd({
    num: 5, type: FdType.Ipv4, name: '10.1.2.3:43210->93.184.216.34:443', l4proto: L4Proto.Tcp, sip: '10.1.2.3',
    sport: 43210, dip: '93.184.216.34', dport: 443, role: FdRole.Client,
  }),
  fd({ num: 4, type: FdType.File, name: '/usr/local/bin/evil', openFlags: 262 }),
  fd({
    num: 7, type: FdType.Ipv6, name: '2001:db8::5:51000->::1:8080', l4proto: L4Proto.Tcp, sip: '2001:db8::5',
    sport: 51000, dip: '::1', dport: 8080, role: FdRole.Server,
  }),
  fd({ num: 8, type: FdType.Unix, name: '/run/containerd/containerd.sock' }),
  fd({ num: 9, type: FdType.Directory, name: '/' }),
];

const container: ContainerInfo = {
  id: CONTAINER_ID, type: 'containerd', name: 'web', image: 'docker.io/library/nginx:1.25',
  imageRepository: 'docker.io/library/nginx', imageTag: '1.25', imageDigest: 'sha256:abcd', imageId: 'f00dfeed',
  privileged: true,
  mounts: [
    { source: '/var/run/docker.sock', dest: '/var/run/docker.sock', mode: '', rdwr: true, propagation: 'rprivate' },
    { source: '/srv/www', dest: '/var/www', mode: 'ro', rdwr: false, propagation: 'rprivate' },
  ],
  startTs: T0 - 60_000_000_000n,
  k8s: {
    nsName: 'shop', nsLabels: { team: 'payments' }, podName: 'web-7d9f', podUid: '5e0c-11', podIp: '10.244.0.12',
    podLabels: { app: 'web', 'app.kubernetes.io/name': 'nginx' }, workloadKind: 'Deployment', workloadName: 'web',
  },
  metadata: MetadataState.Complete,
};

function code(name: string): number {
  const t = eventTypeByName(name);
  if (!t) throw new Error(`event table has no '${name}'`);
  return t.code;
}

let num = 1000;
function event(type: string, dir: Direction, p: number, f: number, res: number, args: ArgValue[], tid?: number): SyscallEvent {
  const pr = procs[p]!;
  const n = num++;
  return { num: n, ts: T0 + BigInt(n), type: code(type), dir, cpu: 1, tid: tid ?? pr.pid, proc: p, fd: f, res, args };
}

// libscap's open flags (flag-tables.ts file_flags)
const O_RDONLY_CLOEXEC = 1 | 4096;
const O_WRONLY_CREAT_TRUNC = 2 | 4 | 256;
const O_RDONLY_DIRECTORY = 1 | 1024;

/** The events, by what they are. */
export const EVENTS = {
  /** bash opens /etc/shadow for reading (openat exit, success) */
  openShadow: event('openat', Direction.Exit, PROCS.bash, 0, 3, [3, -100, '/etc/shadow', O_RDONLY_CLOEXEC, 0, 2049, 131n]),
  /** the same open, enter side */
  openShadowEnter: event('openat', Direction.Enter, PROCS.bash, NO_REF, 0, [-100, '/etc/shadow', O_RDONLY_CLOEXEC, 0]),
  /** sh in the container writes below /usr/local/bin, denied */
  writeBin: event('openat', Direction.Exit, PROCS.sh, 2, -13, [-13, -100, 'evil', O_WRONLY_CREAT_TRUNC, 0o755, 0, 0n]),
  /** sh execs in the container */
  execSh: event('execve', Direction.Exit, PROCS.sh, NO_REF, 0, [0, 'sh', ['-c', 'echo hi > /tmp/x'], 9200, 9200]),
  /** bash connects out over IPv4 */
  connect: event('connect', Direction.Exit, PROCS.bash, 1, 0, [0, { family: SocketFamily.Inet, sip: '10.1.2.3', sport: 43210, dip: '93.184.216.34', dport: 443 }, 5]),
  /** nginx's accepted IPv6 connection (server side) */
  serverConnect: event('connect', Direction.Exit, PROCS.nginx, 3, 0, [0, { family: SocketFamily.Inet6, sip: '2001:db8::5', sport: 51000, dip: '::1', dport: 8080 }, 7]),
  /** a process we know little about, unix socket */
  orphanConnect: event('connect', Direction.Enter, PROCS.orphan, 4, 0, [8, { family: SocketFamily.Unix, addr: '/run/containerd/containerd.sock', port: 0 }]),
  /** sh fails to open a relative path: no fd record */
  failedOpen: event('openat', Direction.Exit, PROCS.sh, NO_REF, -2, [-2, -100, 'missing.conf', O_RDONLY_CLOEXEC, 0, 0, 0n]),
  /** bash switches to nginx's uid (101), then to a uid no process in the batch has */
  setuidNginx: event('setuid', Direction.Enter, PROCS.bash, NO_REF, 0, [101]),
  setuidUnknown: event('setuid', Direction.Enter, PROCS.bash, NO_REF, 0, [4321]),
  /** a thread of bash that is not the main thread */
  threadOpen: event('openat', Direction.Exit, PROCS.bash, 5, 9, [9, -100, '/', O_RDONLY_DIRECTORY, 0, 0, 0n], 4243),
} as const;

export type EventName = keyof typeof EVENTS;

export const BATCH: EventBatch = {
  schema: SCHEMA_VERSION, node: 'node-a', cluster: 'prod', seq: 1, events: Object.values(EVENTS), procs, fds,
  containers: [container],
};

export { CONTAINER_ID, T0 };
