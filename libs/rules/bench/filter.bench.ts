/**
 * Compiled conditions on one core: every rule condition of the upstream stable file (macros and lists resolved by
 * our compiler, each rule run only on the event types its gate names, as the ruleset indexes them) over a realistic
 * mix of events: mostly opens, execs and connects that match nothing, a few that fire. Next to it the same loop with
 * empty conditions (the baseline), and the same conditions without the evt.type gate.
 * Prints events/s, rule evaluations/s, ratios against the baseline, per-event latency percentiles (per batch),
 * heap bytes allocated per event and RSS.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  Direction, FdRole, FdType, L4Proto, MetadataState, NO_REF, SCHEMA_VERSION, SocketFamily, eventTypeByName, flagValue,
  type ContainerInfo, type EventBatch, type FdInfo, type ProcessInfo, type SyscallEvent,
} from '@peregrine/event';
import type { Expr } from '../src/filter/ast.ts';
import { compileCondition, type CompiledFilter } from '../src/filter/compiler.ts';
import { parseCondition } from '../src/filter/parser.ts';
import { UPSTREAM_STABLE_RULES } from '../../../tests/support/shared.ts';

const RUN_MS = Number(process.env.BENCH_MS ?? 2000);

// --- the conditions: upstream stable rules, items in file order ---
interface Rule { name: string; filter: CompiledFilter }
function loadRules(file: string): Rule[] {
  const items = parse(readFileSync(file, 'utf8')) as Array<Record<string, unknown>>;
  const macros = new Map<string, Expr>();
  const lists = new Map<string, string[]>();
  for (const item of items) {
    if (typeof item.list === 'string') lists.set(item.list, (item.items as string[]) ?? []);
    else if (typeof item.macro === 'string') macros.set(item.macro, parseCondition(String(item.condition)));
  }
  // macros may be used before they are defined: compile once everything is known, as Falco does
  return items
    .filter((item) => typeof item.rule === 'string' && typeof item.condition === 'string' && item.enabled !== false)
    .map((item) => ({ name: String(item.rule), filter: compileCondition(parseCondition(String(item.condition)), { macros, lists }) }));
}
const rules = loadRules(UPSTREAM_STABLE_RULES);

// --- the events: a realistic mix ---
function code(name: string): number {
  return eventTypeByName(name)!.code;
}
const T0 = 1_764_326_212_000_000_000n;
function proc(pid: number, name: string, exepath: string, args: string[], parent: number, container: number, tty = 0): ProcessInfo {
  return {
    pid, ppid: 1, vpid: pid, sid: pid, vpgid: pid, parent, container, name, exe: name, exepath, args, env: null,
    cwd: '/srv', tty, uid: 1000, gid: 1000, loginuid: 1000, user: 'app', loginuser: 'app', group: 'app',
    homedir: '/home/app', shell: '/bin/sh', startTs: T0 - 10_000_000_000n, capPermitted: 0n, capEffective: 0n,
    capInheritable: 0n, flags: 0, pidns: 0,
  };
}
const procs: ProcessInfo[] = [
  proc(1, 'systemd', '/usr/lib/systemd/systemd', [], NO_REF, NO_REF),
  proc(400, 'containerd-shim', '/usr/bin/containerd-shim-runc-v2', ['-namespace', 'k8s.io'], 0, NO_REF),
  proc(1200, 'node', '/usr/local/bin/node', ['server.js'], 1, 0),
  proc(1300, 'python3', '/usr/bin/python3.11', ['-m', 'worker'], 1, 0),
  proc(1400, 'nginx', '/usr/sbin/nginx', ['-g', 'daemon off;'], 1, 0),
  proc(1500, 'java', '/opt/java/bin/java', ['-jar', 'app.jar'], 0, NO_REF),
  proc(1600, 'sh', '/bin/sh', ['-c', 'ls /srv'], 2, 0),
  proc(1700, 'bash', '/bin/bash', [], 1, 0, 34816), // an interactive shell in a container: fires
  proc(1800, 'cat', '/bin/cat', ['/etc/shadow'], 7, 0, 34816), // reads a sensitive file: fires
];
const fds: FdInfo[] = [];
function fileFd(name: string, flags: number): number {
  fds.push({ num: 3 + fds.length, type: FdType.File, name, openFlags: flags, dev: 0, ino: 0, l4proto: L4Proto.Unknown, sip: '', sport: 0, dip: '', dport: 0, role: FdRole.None });
  return fds.length - 1;
}
function sockFd(dip: string, dport: number): number {
  fds.push({ num: 3 + fds.length, type: FdType.Ipv4, name: `10.0.0.5:40000->${dip}:${dport}`, openFlags: 0, dev: 0, ino: 0, l4proto: L4Proto.Tcp, sip: '10.0.0.5', sport: 40000, dip, dport, role: FdRole.Client });
  return fds.length - 1;
}
const container: ContainerInfo = {
  id: 'b'.repeat(64), type: 'containerd', name: 'api', image: 'registry.local/api:1.2', imageRepository: 'registry.local/api',
  imageTag: '1.2', imageDigest: '', imageId: '', privileged: false, mounts: [], startTs: T0 - 60_000_000_000n, k8s: null,
  metadata: MetadataState.Complete,
};
// libscap's open flags (flag-tables.ts file_flags)
const READ = flagValue('file_flags', 'O_RDONLY')!;
const WRITE_CREATE = flagValue('file_flags', 'O_WRONLY')! | flagValue('file_flags', 'O_CREAT')! | flagValue('file_flags', 'O_TRUNC')!;
const APPEND = flagValue('file_flags', 'O_WRONLY')! | flagValue('file_flags', 'O_CREAT')! | flagValue('file_flags', 'O_APPEND')!;
const files = [
  ['/usr/lib/x86_64-linux-gnu/libc.so.6', READ], ['/etc/ld.so.cache', READ], ['/proc/self/status', READ],
  ['/srv/app/index.js', READ], ['/tmp/upload-1', WRITE_CREATE], ['/var/log/app.log', APPEND],
  ['/etc/hosts', READ], ['/usr/share/zoneinfo/UTC', READ], ['/srv/app/node_modules/x/index.js', READ],
].map(([n, f]) => fileFd(n as string, f as number));
const shadow = fileFd('/etc/shadow', READ);
const binWrite = fileFd('/usr/local/bin/dropper', WRITE_CREATE);
const socks = [sockFd('10.0.0.9', 5432), sockFd('10.0.0.10', 6379), sockFd('93.184.216.34', 443)];

let n = 0;
function ev(type: string, p: number, fd: number, res: number, args: SyscallEvent['args']): SyscallEvent {
  return { num: n++, ts: T0 + BigInt(n) * 1000n, type: code(type), dir: Direction.Exit, cpu: 0, tid: procs[p]!.pid, proc: p, fd, res, args };
}
function mix(count: number): SyscallEvent[] {
  const out: SyscallEvent[] = [];
  for (let i = 0; i < count; i++) {
    const r = i % 100;
    const p = 2 + (i % 4); // node, python3, nginx, java
    if (r === 0) out.push(ev('openat', 8, shadow, 3, [3, -100, '/etc/shadow', READ, 0, 0, 0n]));
    else if (r === 1) out.push(ev('execve', 7, NO_REF, 0, [0, 'bash', [], 1700, 1700]));
    else if (r === 2) out.push(ev('openat', 6, binWrite, 4, [4, -100, '/usr/local/bin/dropper', WRITE_CREATE, 0o755, 0, 0n]));
    else if (r < 65) {
      const f = files[i % files.length]!;
      out.push(ev('openat', p, f, 3, [3, -100, fds[f]!.name, fds[f]!.openFlags, 0, 0, 0n]));
    } else if (r < 85) out.push(ev('execve', 6, NO_REF, 0, [0, 'sh', ['-c', 'ls /srv'], 1600, 1600]));
    else {
      const s = socks[i % socks.length]!;
      out.push(ev('connect', p, s, 0, [0, { family: SocketFamily.Inet, sip: '10.0.0.5', sport: 40000, dip: fds[s]!.dip, dport: fds[s]!.dport }, fds[s]!.num]));
    }
  }
  return out;
}
const BATCH_EVENTS = 1024;
const batch: EventBatch = {
  schema: SCHEMA_VERSION, node: 'bench', cluster: '', seq: 1, events: mix(BATCH_EVENTS), procs, fds, containers: [container],
};

// --- the loops ---
type Match = CompiledFilter['match'];
/** Per event type code, the matchers to run: the gate as the ruleset would index it. */
function index(filters: ReadonlyArray<{ filter: CompiledFilter; match: Match }>, gated: boolean): Match[][] {
  const byType: Match[][] = [];
  for (const code of new Set(batch.events.map((e) => e.type))) {
    const name = batch.events.find((e) => e.type === code)!;
    const typeName = ['openat', 'execve', 'connect'].find((t) => eventTypeByName(t)!.code === name.type)!;
    byType[code] = filters.filter((f) => !gated || f.filter.eventTypes === null || f.filter.eventTypes.has(typeName)).map((f) => f.match);
  }
  return byType;
}

function run(byType: Match[][]): { eventsPerSec: number; evalsPerSec: number; p50: number; p99: number; hits: number } {
  const pass = () => {
    let hits = 0;
    let evals = 0;
    for (const e of batch.events) {
      const ms = byType[e.type]!;
      evals += ms.length;
      for (let i = 0; i < ms.length; i++) if (ms[i]!(batch, e)) hits++;
    }
    return { hits, evals };
  };
  for (let i = 0; i < 200; i++) pass();
  globalThis.gc?.();
  const lat: number[] = [];
  let events = 0;
  let evals = 0;
  let hits = 0;
  const start = performance.now();
  while (performance.now() - start < RUN_MS) {
    const t0 = performance.now();
    const r = pass();
    lat.push((performance.now() - t0) * 1000 / BATCH_EVENTS);
    events += BATCH_EVENTS;
    evals += r.evals;
    hits = r.hits;
  }
  const secs = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return {
    eventsPerSec: events / secs, evalsPerSec: evals / secs, hits,
    p50: lat[Math.floor(lat.length * 0.5)]!, p99: lat[Math.floor(lat.length * 0.99)]!,
  };
}

const real = rules.map((r) => ({ filter: r.filter, match: r.filter.match }));
const empty = rules.map((r) => ({ filter: r.filter, match: (() => false) as Match }));

const results = [
  ['empty conditions, gated (baseline)', run(index(empty, true))],
  ['stable rules, gated', run(index(real, true))],
  ['empty conditions, ungated', run(index(empty, false))],
  ['stable rules, ungated', run(index(real, false))],
] as const;

const base = results[0][1];
console.log(`${rules.length} stable rules compiled; ${rules.filter((r) => r.filter.eventTypes === null).length} without an evt.type gate`);
console.log(`batch: ${BATCH_EVENTS} events (62% opens, 20% execs, 15% connects, 3% that fire)`);
console.log('loop                                   events/s     rule evals/s  x baseline time  us/event p50   p99   alerts/batch');
for (const [name, r] of results) {
  console.log(
    `${name.padEnd(38)} ${(r.eventsPerSec / 1e6).toFixed(2).padStart(7)} M  ${(r.evalsPerSec / 1e6).toFixed(1).padStart(9)} M  ` +
    `${(base.eventsPerSec / r.eventsPerSec).toFixed(2).padStart(10)}       ${r.p50.toFixed(3).padStart(6)} ${r.p99.toFixed(3).padStart(6)}  ${r.hits}`,
  );
}
/** Heap bytes one warm pass over the batch allocates, per event (best of five, each after a full GC). */
function allocatedPerEvent(byType: Match[][]): number {
  const pass = () => {
    for (const e of batch.events) {
      const ms = byType[e.type]!;
      for (let i = 0; i < ms.length; i++) ms[i]!(batch, e);
    }
  };
  // warm-up: the first passes through fresh code allocate feedback and compiled code, not per-event state
  for (let k = 0; k < 50; k++) pass();
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    pass();
    best = Math.min(best, process.memoryUsage().heapUsed - before);
  }
  return best / BATCH_EVENTS;
}
console.log(`heap allocated per event, stable rules gated: ${allocatedPerEvent(index(real, true)).toFixed(1)} bytes`);
console.log(`RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
