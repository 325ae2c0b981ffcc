/**
 * Batches shaped like what capture + enrichment produce on a busy Kubernetes node, shared by the codec tests and
 * the codec benchmark. Deterministic: the same seed gives the same batch.
 */
import {
  FdRole, FdType, L4Proto, MetadataState, NO_REF, ProcFlag, SCHEMA_VERSION, SocketFamily, eventTypeByName,
  type ArgValue, type ContainerInfo, type EventBatch, type FdInfo, type ProcessInfo, type SyscallEvent,
} from '../src/index.ts';

/** mulberry32: small, fast and good enough for fixtures. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPENAT = eventTypeByName('openat')!.code;
const EXECVE = eventTypeByName('execve')!.code;
const CONNECT = eventTypeByName('connect')!.code;

const BASE_TS = 1_795_000_000_000_000_000n;
const FULL_CAPS = 0x1ffffffffffn;

function container(i: number): ContainerInfo {
  const app = ['checkout', 'payments'][i % 2]!;
  return {
    id: (i + 1).toString(16).repeat(64).slice(0, 64),
    type: 'containerd',
    name: `${app}-api`,
    image: `registry.example.com/shop/${app}:1.${i}.3`,
    imageRepository: `registry.example.com/shop/${app}`,
    imageTag: `1.${i}.3`,
    imageDigest: `sha256:${'ab'.repeat(32)}`,
    imageId: 'cd'.repeat(32),
    privileged: false,
    mounts: [
      { source: `/var/lib/kubelet/pods/${i}/volumes/kubernetes.io~projected/kube-api-access`, dest: '/var/run/secrets/kubernetes.io/serviceaccount', mode: 'ro', rdwr: false, propagation: 'rprivate' },
      { source: `/var/lib/kubelet/pods/${i}/etc-hosts`, dest: '/etc/hosts', mode: '', rdwr: true, propagation: 'rprivate' },
    ],
    startTs: BASE_TS - 3_600_000_000_000n,
    k8s: {
      nsName: 'shop',
      nsLabels: { 'kubernetes.io/metadata.name': 'shop', team: 'commerce' },
      podName: `${app}-api-7d9f8b6c5-x${i}q2z`,
      podUid: `0b6f7c1e-1d2a-4c3b-9e8f-00000000000${i}`,
      podIp: `10.244.1.${10 + i}`,
      podLabels: { app, 'pod-template-hash': '7d9f8b6c5', 'app.kubernetes.io/part-of': 'shop', tier: 'backend' },
      workloadKind: 'Deployment',
      workloadName: `${app}-api`,
    },
    metadata: MetadataState.Complete,
  };
}

const COMMANDS = [
  ['node', '/usr/local/bin/node', ['node', 'server.js', '--port', '8080']],
  ['sh', '/bin/sh', ['sh', '-c', 'curl -s http://payments:8080/health']],
  ['curl', '/usr/bin/curl', ['curl', '-s', 'http://payments:8080/health']],
  ['python3', '/usr/bin/python3.11', ['python3', '-m', 'worker', '--queue', 'orders']],
  ['nginx', '/usr/sbin/nginx', ['nginx', '-g', 'daemon off;']],
] as const;

function proc(i: number, rand: () => number, nContainers: number): ProcessInfo {
  const [name, exepath, args] = COMMANDS[i % COMMANDS.length]!;
  const inContainer = i >= 5;
  const pid = 1000 + i * 7;
  return {
    pid,
    ppid: i === 0 ? 1 : 1000 + (i >> 1) * 7,
    vpid: inContainer ? 1 + i : pid,
    sid: inContainer ? 1 : pid,
    vpgid: inContainer ? 1 : pid,
    // Ancestry: each process's parent is an earlier one (a tree of depth ~6 for proc.aname[1..7]).
    parent: i === 0 ? NO_REF : i >> 1,
    container: inContainer ? i % nContainers : NO_REF,
    name,
    exe: args[0],
    exepath,
    args: [...args.slice(1)],
    env: i % 10 === 0 ? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin', 'HOME=/root', `HOSTNAME=pod-${i}`] : null,
    cwd: inContainer ? '/app' : '/',
    tty: 0,
    uid: inContainer ? 1000 : 0,
    gid: inContainer ? 1000 : 0,
    loginuid: -1,
    user: inContainer ? 'app' : 'root',
    loginuser: '',
    group: inContainer ? 'app' : 'root',
    homedir: inContainer ? '/home/app' : '/root',
    shell: inContainer ? '/bin/sh' : '/bin/bash',
    startTs: BASE_TS - BigInt(Math.floor(rand() * 1e12)),
    capPermitted: inContainer ? 0xa80425fbn : FULL_CAPS,
    capEffective: inContainer ? 0xa80425fbn : FULL_CAPS,
    capInheritable: 0n,
    flags: i % 17 === 0 ? ProcFlag.ExeUpperLayer : 0,
    pidns: inContainer ? 4026532000 + (i % nContainers) : 4026531836,
  };
}

const PATHS = [
  '/etc/ld.so.cache', '/lib/x86_64-linux-gnu/libc.so.6', '/etc/hosts', '/etc/resolv.conf', '/etc/passwd',
  '/app/node_modules/express/lib/router/index.js', '/app/config/production.json', '/proc/self/status',
  '/sys/fs/cgroup/memory.max', '/var/log/app/access.log', '/tmp/upload-', '/usr/lib/ssl/openssl.cnf',
];

function fd(i: number, rand: () => number): FdInfo {
  if (i % 4 === 3) {
    const sport = 30000 + Math.floor(rand() * 30000);
    const dip = `10.96.${i % 7}.${(i * 13) % 250}`;
    return {
      num: 20 + (i % 40), type: FdType.Ipv4, name: `10.244.1.10:${sport}->${dip}:8080`, openFlags: 0, dev: 0, ino: 0,
      l4proto: L4Proto.Tcp, sip: '10.244.1.10', sport, dip, dport: 8080, role: FdRole.Client,
    };
  }
  const base = PATHS[i % PATHS.length]!;
  return {
    num: 3 + (i % 60), type: FdType.File, name: base.endsWith('-') ? `${base}${i}` : base,
    openFlags: i % 5 === 0 ? 0o101 : 0o2000000, dev: 0x803, ino: 131000 + i * 31,
    l4proto: L4Proto.Unknown, sip: '', sport: 0, dip: '', dport: 0, role: FdRole.None,
  };
}

function event(i: number, rand: () => number, procs: ProcessInfo[], fds: FdInfo[]): SyscallEvent {
  const p = Math.floor(rand() * procs.length);
  const pr = procs[p]!;
  const ts = BASE_TS + BigInt(i * 4_000 + Math.floor(rand() * 3_000));
  const kind = rand();
  let type: number, dir: 0 | 1, fd: number, res: number, args: ArgValue[];
  if (kind < 0.7) {
    fd = Math.floor(rand() * fds.length) & ~3;
    const file = fds[fd]!;
    [type, dir, res] = [OPENAT, 1, file.num];
    args = [file.num, -100, file.name, file.openFlags, 0o644, file.dev, BigInt(file.ino)];
  } else if (kind < 0.85) {
    [type, dir, fd, res] = [EXECVE, 1, NO_REF, 0];
    args = [0, pr.exepath, pr.args, pr.pid, pr.pid];
  } else {
    fd = (Math.floor(rand() * fds.length) | 3) % fds.length;
    const s = fds[fd]!;
    type = CONNECT;
    if (kind < 0.92) {
      [dir, res] = [0, 0];
      args = [s.num, { family: SocketFamily.Inet, addr: s.dip, port: s.dport }];
    } else {
      [dir, res] = [1, rand() < 0.1 ? -111 : 0];
      args = [res, { family: SocketFamily.Inet, sip: s.sip, sport: s.sport, dip: s.dip, dport: s.dport }, s.num];
    }
  }
  // One literal with every field, as a producer builds it: objects built by spreading get slow shapes in V8.
  return { num: 500_000 + i, ts, type, dir, cpu: i % 2, tid: pr.pid, proc: p, fd, res, args };
}

/** ~1,000 events over ~50 processes with ancestry, ~200 fds and two k8s containers; mostly openat/execve/connect. */
export function realisticBatch(seed = 1, events = 1000, seq = 1): EventBatch {
  const rand = prng(seed);
  const containers = [container(0), container(1)];
  const procs = Array.from({ length: 50 }, (_, i) => proc(i, rand, containers.length));
  const fds = Array.from({ length: 200 }, (_, i) => fd(i, rand));
  const evs = Array.from({ length: events }, (_, i) => event(i, rand, procs, fds));
  return { schema: SCHEMA_VERSION, node: 'ip-10-0-3-17.eu-west-1.compute.internal', cluster: 'prod-eu', seq, events: evs, procs, fds, containers };
}
