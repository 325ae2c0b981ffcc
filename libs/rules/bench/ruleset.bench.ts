/**
 * Rule evaluation on one core: Falco's stable + incubating rules loaded, a realistic mix of events from a busy
 * Kubernetes node (mostly file opens, process execs and outbound connects that match nothing; about 1 in 200
 * matches), against the same loop with no rules loaded, and our own default rules for comparison. Prints events/s and its ratio to the baseline, the per-event
 * cost at p50/p99 (one event per call, timer overhead included in both), alerts/s, and RSS.
 */
import { readFileSync } from 'node:fs';
import { FdType, L4Proto, ProcFlag, type EventBatch } from '@peregrine/event';
import { DEFAULT_RULES_CONFIG, Ruleset, loadRulesText } from '../src/index.ts';
import { BatchBuilder, O } from '../test/ruleset/batch-builder.ts';
import { UPSTREAM_STABLE_RULES, UPSTREAM_INCUBATING_RULES } from '../../../tests/support/shared.ts';

const RUN_MS = Number(process.env.BENCH_MS ?? 2000);
const BATCH_EVENTS = 1000;

/** Deterministic PRNG (mulberry32) so every run evaluates the same events. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FILES = ['/usr/lib/x86_64-linux-gnu/libssl.so.3', '/etc/hosts', '/etc/resolv.conf', '/proc/self/status', '/app/config.json',
  '/var/lib/app/data.db', '/tmp/upload-1234', '/usr/share/zoneinfo/UTC', '/etc/ld.so.cache', '/app/static/index.html'];
/** Long-running workloads: they open files and connect out. */
const SERVERS = ['python3', 'node', 'java', 'nginx', 'envoy'];
/** What gets exec'd now and then (by the workloads' scripts, probes and cron jobs). */
/** Where workloads write: their own data and scratch space. */
const WRITABLE = ['/tmp/upload-1234', '/var/lib/app/data.db', '/app/cache/page-7.html', '/var/log/app/access.log'];
const PROGRAMS = ['python3', 'node', 'ls', 'cat', 'curl', 'git', 'date', 'sed', 'awk', 'grep'];
const REMOTES = ['93.184.216.34', '10.2.3.4', '172.20.5.6', '151.101.1.69', '8.8.8.8'];

function realisticBatch(seed: number): EventBatch {
  const rnd = prng(seed);
  const b = new BatchBuilder();
  const pods = [b.container({ id: 'aa'.repeat(32) }), b.container({ id: 'bb'.repeat(32) }, { podName: 'api-2' })];
  const servers = SERVERS.map((name, i) => b.proc({ name, args: ['--serve', String(i)], user: 'app', uid: 1000 }, [{ name: 'containerd-shim' }], pods[i % 2]!));
  const execs = PROGRAMS.map((name, i) => b.proc({ name, args: ['-x', String(i)], user: 'app', uid: 1000 }, [{ name: 'sh' }, { name: 'python3' }], pods[i % 2]!));
  const host = b.proc({ name: 'kubelet', user: 'root' }, [{ name: 'systemd' }]);
  for (let i = 0; i < BATCH_EVENTS; i++) {
    const r = rnd();
    const proc = rnd() < 0.9 ? servers[Math.floor(rnd() * servers.length)]! : host;
    if (i % 200 === 199) {
      // the few matches: a shell with a tty in a container, a sensitive read by an unknown program
      if (i % 400 === 399) b.event('execve', { proc: b.proc({ name: 'bash', tty: 34816 }, [{ name: 'containerd-shim' }], pods[0]!), args: {} });
      else b.event('openat', { proc: b.proc({ name: 'miner', flags: ProcFlag.ExeLowerLayer }), fd: b.fd({ name: '/etc/shadow' }), res: 3, args: { fd: 3, name: '/etc/shadow', flags: O.RDONLY } });
    } else if (r < 0.6) {
      const write = rnd() < 0.2;
      const path = write ? WRITABLE[Math.floor(rnd() * WRITABLE.length)]! : FILES[Math.floor(rnd() * FILES.length)]!;
      const flags = write ? O.WRONLY | O.CREAT : O.RDONLY;
      b.event('openat', { proc, fd: b.fd({ num: 3 + (i % 20), name: path, openFlags: flags }), res: 3, args: { fd: 3, name: path, flags } });
    } else if (r < 0.75) {
      b.event('execve', { proc: execs[Math.floor(rnd() * execs.length)]!, args: {} });
    } else if (r < 0.95) {
      const dip = REMOTES[Math.floor(rnd() * REMOTES.length)]!;
      const fd = b.fd({ num: 30, type: FdType.Ipv4, name: `10.1.2.3:40000->${dip}:443`, l4proto: L4Proto.Tcp, sip: '10.1.2.3', sport: 40000, dip, dport: 443 });
      b.event('connect', { proc, fd, res: 0, args: { res: 0, fd: 30 } });
    } else {
      b.event('close', { proc, res: 0, args: {} });
    }
  }
  return b.batch;
}

const batches = Array.from({ length: 8 }, (_, i) => realisticBatch(i + 1));

function throughput(rules: Ruleset): { eventsPerSec: number; alertsPerSec: number } {
  let alerts = 0;
  const onAlert = () => { alerts++; };
  for (let i = 0; i < 50; i++) rules.evaluate(batches[i % batches.length]!, onAlert);
  globalThis.gc?.();
  alerts = 0;
  let events = 0;
  let i = 0;
  const start = performance.now();
  while (performance.now() - start < RUN_MS) {
    const batch = batches[i++ % batches.length]!;
    rules.evaluate(batch, onAlert);
    events += batch.events.length;
  }
  const secs = (performance.now() - start) / 1000;
  return { eventsPerSec: events / secs, alertsPerSec: alerts / secs };
}

/** Per-event cost: each event evaluated alone (a one-event view of the batch), timed with hrtime. */
function perEvent(rules: Ruleset): { p50: number; p99: number } {
  const samples: number[] = [];
  const onAlert = () => {};
  const views = batches.map((b) => ({ ...b, events: [b.events[0]!] }));
  for (let round = 0; round < 3; round++) {
    for (let v = 0; v < views.length; v++) {
      const view = views[v]!;
      for (const ev of batches[v]!.events) {
        view.events[0] = ev;
        const t0 = process.hrtime.bigint();
        rules.evaluate(view, onAlert);
        samples.push(Number(process.hrtime.bigint() - t0));
      }
    }
  }
  samples.sort((a, b) => a - b);
  const pct = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: pct(0.5), p99: pct(0.99) };
}

const t0 = performance.now();
const loaded = loadRulesText([
  { name: 'falco_rules.yaml', content: readFileSync(UPSTREAM_STABLE_RULES, 'utf8') },
  { name: 'falco-incubating_rules.yaml', content: readFileSync(UPSTREAM_INCUBATING_RULES, 'utf8') },
]);
const loadMs = performance.now() - t0;
const ours = loadRulesText([{ name: 'peregrine_rules.yaml', content: readFileSync(new URL('../../../rules/peregrine_rules.yaml', import.meta.url), 'utf8') }]);
const empty = new Ruleset([], [], DEFAULT_RULES_CONFIG);

const base = throughput(empty);
const full = throughput(loaded);
const own = throughput(ours);
const baseLat = perEvent(empty);
const fullLat = perEvent(loaded);
const ownLat = perEvent(ours);

console.log(`rule evaluation, one core, ${BATCH_EVENTS}-event batches, ${RUN_MS} ms per run`);
console.log(`loaded ${loaded.activeRules.length} active of ${loaded.rules.length} rules (stable + incubating) in ${loadMs.toFixed(0)} ms; event types gated: ${loaded.eventTypes()?.length ?? 'all'}`);
console.log('ruleset            events/s   x no-rules  alerts/s   per-event p50 ns  p99 ns');
for (const [name, t, l] of [['no rules', base, baseLat], ['stable+incubating', full, fullLat], ['peregrine default', own, ownLat]] as const) {
  console.log(
    `${name.padEnd(17)} ${Math.round(t.eventsPerSec).toString().padStart(10)}  ${(t.eventsPerSec / base.eventsPerSec).toFixed(3).padStart(9)}` +
      `  ${Math.round(t.alertsPerSec).toString().padStart(8)}  ${String(l.p50).padStart(16)}  ${String(l.p99).padStart(6)}`,
  );
}
console.log(`rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MiB`);
