/**
 * Syscall→alert latency through the whole deployed pipeline: a nats-server and the four services as separate
 * `npx peregrine run <stage>` processes (as the seed e2e test runs them), real eBPF capture, our default rules plus
 * an override file that adds a temporary directory to `pg_monitored_dirs`. The bench opens uniquely named files for
 * writing there, one at a time, taking an hrtime stamp right before each open; the alert's arrival on `falco.>` in
 * this same process ends the measurement, matched to its file by `fd.name`. Two runs: idle, then with a separate
 * process doing openat+close of an unmonitored file (an event type capture selects) at ~100k/s. Prints percentiles,
 * the loaded/idle ratio, alerts received, the load's achieved rate and the RSS of every process.
 * Needs root (eBPF); prints why and exits 0 otherwise.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import type { Alert } from '@peregrine/event';
import { ALERTS_ALL } from '@peregrine/bus';
import { startNats, type NatsServer } from '../../support/nats.ts';
import { startStageProcess, type StageProcess } from '../../support/stage-process.ts';

const REPS = 200;
const WARMUP = 5;
/** openat+close pairs per second: both are selected (close always is, for the fd table), so 2 events per pair. */
const LOAD_PAIRS_PER_S = Number(process.env.PEREGRINE_BENCH_LOAD_PAIRS ?? 50_000);
const ALERT_WAIT_MS = 2_000;
const STRAGGLER_WAIT_MS = 5_000;
const GAP_MS = 10;
const RULE = 'Write below monitored directory';
const CLOCK_TICKS = 100;
const STAGES = ['capture', 'enrichment', 'evaluation', 'output'] as const;
const REPO = resolve(import.meta.dirname, '..', '..', '..');

if (process.getuid?.() !== 0) {
  console.log('latency bench: skipped (needs root for eBPF)');
  process.exit(0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The 1-minute load average: other work on the machine moves these figures a lot. */
const loadAvg = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;

/** VmRSS and VmHWM of a pid in MiB, from /proc/<pid>/status. */
function rssOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** utime+stime of a pid in seconds, from /proc/<pid>/stat (fields 14 and 15, counted after the command name). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** The nats-server listening on this port (startNats does not expose its pid). */
function natsPid(port: number): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('nats-server') && argv[argv.indexOf('-p') + 1] === String(port)) return Number(d);
    } catch { /* exited meanwhile */ }
  }
  return undefined;
}

interface RunResult {
  latenciesMs: number[];
  received: number;
  loadRate?: number;
}

interface Bench {
  dir: string;
  watched: string;
  nats?: NatsServer;
  nc?: NatsConnection;
  services: Map<string, StageProcess>;
  load?: ChildProcess;
  /** Arrival hrtime (ns) per alerted fd.name. */
  arrivals: Map<string, bigint>;
  otherAlerts: Map<string, number>;
}

async function startPipeline(b: Bench): Promise<void> {
  b.nats = await startNats();
  const overrides = join(b.dir, 'bench-overrides.yaml');
  writeFileSync(overrides, [
    '- list: pg_monitored_dirs',
    `  items: [${b.watched}]`,
    '  override:',
    '    items: append',
    '',
  ].join('\n'));
  const config = join(b.dir, 'peregrine.yaml');
  writeFileSync(config, 'stages:\n  enrichment:\n    sources: []\n');

  b.nc = await connect({ servers: b.nats.url });
  const sub = b.nc.subscribe(ALERTS_ALL);
  void (async () => {
    for await (const m of sub) {
      const at = process.hrtime.bigint();
      const a = JSON.parse(new TextDecoder().decode(m.data)) as Alert;
      const file = a.output_fields['fd.name'];
      if (a.rule === RULE && typeof file === 'string' && file.startsWith(b.watched)) {
        if (!b.arrivals.has(file)) b.arrivals.set(file, at);
      } else {
        b.otherAlerts.set(a.rule, (b.otherAlerts.get(a.rule) ?? 0) + 1);
      }
    }
  })();

  await Promise.all(STAGES.map(async (stage) => {
    const rules = stage === 'evaluation' ? ['--rules', join(REPO, 'rules/'), overrides] : [];
    const p = startStageProcess(['run', stage, '--nats', b.nats!.url, '--config', config, ...rules], {
      NODE_NAME: 'bench-node',
      PEREGRINE_HTTP__PORT: '0',
    }, 60_000);
    b.services.set(stage, p);
    await p.ready;
  }));
  const capture = b.services.get('capture')!;
  await until(() => capture.logs.some((l) => l.msg === 'capture: running'), 30_000, 'capture to attach its eBPF programs');
}

/**
 * One write-open per file, one file at a time: stamp, open, wait for its alert (or move on after a while), remove,
 * pause. Alerts that come after the bench moved on still count, with their real latency, if they arrive before the
 * final straggler wait ends.
 */
async function measure(b: Bench, label: string, reps: number): Promise<RunResult> {
  const started = new Map<string, bigint>();
  for (let n = 0; n < reps; n++) {
    const file = `${b.watched}/.pg-bench-${label}-${n}`;
    const t0 = process.hrtime.bigint();
    const fd = openSync(file, 'w');
    closeSync(fd);
    started.set(file, t0);
    const end = Date.now() + ALERT_WAIT_MS;
    while (!b.arrivals.has(file) && Date.now() < end) await sleep(1);
    unlinkSync(file);
    await sleep(GAP_MS);
  }
  const end = Date.now() + STRAGGLER_WAIT_MS;
  while ([...started.keys()].some((f) => !b.arrivals.has(f)) && Date.now() < end) await sleep(50);
  const latenciesMs: number[] = [];
  for (const [file, t0] of started) {
    const at = b.arrivals.get(file);
    if (at !== undefined) latenciesMs.push(Number(at - t0) / 1e6);
  }
  return { latenciesMs, received: latenciesMs.length };
}

function startLoad(b: Bench, binary: string): { child: ChildProcess; done: Promise<number> } {
  const child = spawn(binary, [String(LOAD_PAIRS_PER_S), '/etc/hostname'], { stdio: ['ignore', 'pipe', 'inherit'] });
  b.load = child;
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const done = new Promise<number>((res, rej) => child.once('exit', () => {
    const [opens, ns] = out.trim().split(' ').map(Number);
    if (!opens || !ns) rej(new Error(`load generator printed ${JSON.stringify(out)}`));
    else res(opens / (ns / 1e9));
  }));
  return { child, done };
}

function report(label: string, r: RunResult, reps: number): number {
  const s = [...r.latenciesMs].sort((x, y) => x - y);
  const load = r.loadRate !== undefined
    ? `  load ${(2 * r.loadRate / 1000).toFixed(1)}k selected syscalls/s (${(r.loadRate / 1000).toFixed(1)}k openat+close/s)` : '';
  if (s.length === 0) {
    console.log(`${label.padEnd(8)} alerts ${r.received}/${reps}${load}`);
    return NaN;
  }
  const f = (x: number) => `${x.toFixed(1)} ms`;
  console.log(`${label.padEnd(8)} alerts ${r.received}/${reps}  p50 ${f(percentile(s, 50))}  p90 ${f(percentile(s, 90))}  ` +
    `p99 ${f(percentile(s, 99))}  max ${f(s.at(-1)!)}${load}`);
  return percentile(s, 50);
}

/** The host pid of each service (from its `ready` line) and nats-server's. */
function pids(b: Bench): Array<[string, number | undefined]> {
  const out: Array<[string, number | undefined]> = [];
  for (const [stage, p] of b.services) {
    const pid = p.logs.find((l) => l.msg === 'ready')?.pid;
    out.push([stage, typeof pid === 'number' ? pid : undefined]);
  }
  out.push(['nats-server', b.nats ? natsPid(b.nats.port) : undefined]);
  return out;
}

function printRss(b: Bench, when: string): void {
  const rows = pids(b).map(([name, pid]) => {
    const m = pid !== undefined ? rssOf(pid) : undefined;
    return `${name} ${m ? `${m.rss.toFixed(0)} MiB (peak ${m.hwm.toFixed(0)})` : '?'}`;
  });
  console.log(`RSS ${when}: ${rows.join(', ')}`);
}

/** CPU used per process since `cpuAt` was taken, as % of one CPU: shows which stage saturates under load. */
const cpuAt = (b: Bench) => pids(b).map(([, pid]) => (pid !== undefined ? cpuSeconds(pid) : NaN));
function printCpu(b: Bench, run: string, before: number[], seconds: number): void {
  const now = cpuAt(b);
  const rows = pids(b).map(([name], i) => `${name} ${(((now[i]! - before[i]!) / seconds) * 100).toFixed(0)}%`);
  console.log(`CPU during the ${run} run (% of one CPU): ${rows.join(', ')}`);
}

/** Capture's drop counters from its /metrics (kernel ring full, batches dropped under backpressure). */
async function captureCounters(b: Bench): Promise<{ events: number; kernelDrops: number; batchDrops: number }> {
  const port = b.services.get('capture')?.httpPort();
  if (port === undefined) throw new Error('capture logged no http port');
  const lines = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).split('\n');
  const value = (name: string) => Number(lines.find((l) => l.startsWith(name))?.split(' ').at(-1) ?? 0);
  return {
    events: value('peregrine_capture_events_total'),
    kernelDrops: value('peregrine_capture_kernel_drops_total'),
    batchDrops: value('peregrine_capture_batch_drops_total'),
  };
}

async function printCapture(b: Bench, run: string, before: Awaited<ReturnType<typeof captureCounters>>, seconds: number): Promise<void> {
  const now = await captureCounters(b);
  const events = now.events - before.events;
  const batchDrops = now.batchDrops - before.batchDrops;
  console.log(`capture during the ${run} run: ${(events / seconds / 1000).toFixed(1)}k events/s captured, ` +
    `${((events - batchDrops) / seconds / 1000).toFixed(1)}k events/s sent on, ${now.kernelDrops - before.kernelDrops} ring drops, ` +
    `${batchDrops} dropped under backpressure`);
}

async function cleanup(b: Bench): Promise<void> {
  b.load?.kill('SIGKILL');
  await b.nc?.close().catch(() => undefined);
  await Promise.all([...b.services.values()].map((p) => p.terminate().catch(() => p.kill())));
  for (const p of b.services.values()) p.kill();
  await b.nats?.dispose();
  rmSync(b.dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-latency-'));
  const b: Bench = { dir, watched: join(dir, 'watched'), services: new Map(), arrivals: new Map(), otherAlerts: new Map() };
  // A crash of this process must not leave detached services or the load behind.
  const killAll = () => { b.load?.kill('SIGKILL'); for (const p of b.services.values()) p.kill(); };
  process.once('exit', killAll);
  // The services run in their own process groups, so ^C reaches only this process: take them down with it.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { killAll(); void b.nats?.dispose().finally(() => { rmSync(dir, { recursive: true, force: true }); process.exit(130); }); });
  }
  let failed = false;
  try {
    mkdirSync(b.watched);
    const loadBin = join(dir, 'openload');
    execFileSync('cc', ['-O2', '-o', loadBin, join(import.meta.dirname, 'openload.c')]);
    const loadAvg0 = loadAvg();
    await startPipeline(b);

    const warm = await measure(b, 'warmup', WARMUP);
    if (warm.received === 0) throw new Error('no alert for the warm-up writes: the pipeline does not deliver');

    let counters = await captureCounters(b);
    let cpu = cpuAt(b);
    let t = Date.now();
    const idle = await measure(b, 'idle', REPS);
    printCpu(b, 'idle', cpu, (Date.now() - t) / 1000);
    await printCapture(b, 'idle', counters, (Date.now() - t) / 1000);
    printRss(b, 'after the idle run');

    const load = startLoad(b, loadBin);
    await sleep(2000);
    counters = await captureCounters(b);
    cpu = cpuAt(b);
    t = Date.now();
    const loaded = await measure(b, 'loaded', REPS);
    printCpu(b, 'loaded', cpu, (Date.now() - t) / 1000);
    load.child.kill('SIGTERM');
    loaded.loadRate = await load.done;
    b.load = undefined;
    await printCapture(b, 'loaded', counters, (Date.now() - t) / 1000);
    printRss(b, 'after the loaded run');

    console.log(`syscall→alert latency, ${REPS} write-opens each, 4 services + nats-server, real eBPF ` +
      `(load average ${loadAvg0} at start, ${loadAvg()} at end, ${cpus().length} CPUs):`);
    const p50idle = report('idle', idle, REPS);
    const p50loaded = report('loaded', loaded, REPS);
    console.log(`ratio loaded/idle: p50 ${(p50loaded / p50idle).toFixed(2)}x`);
    const sortedIdle = [...idle.latenciesMs].sort((x, y) => x - y);
    const sortedLoaded = [...loaded.latenciesMs].sort((x, y) => x - y);
    if (sortedIdle.length && sortedLoaded.length) {
      console.log(`ratio loaded/idle: p99 ${(percentile(sortedLoaded, 99) / percentile(sortedIdle, 99)).toFixed(2)}x`);
    }
    if (b.otherAlerts.size) console.log(`other alerts seen: ${[...b.otherAlerts].map(([r, n]) => `${r} ×${n}`).join(', ')}`);
    if (idle.received !== REPS || loaded.received !== REPS) {
      console.log(`FAIL: expected ${REPS}/${REPS} alerts in each run`);
      failed = true;
    }
  } finally {
    await cleanup(b);
  }
  if (failed) process.exitCode = 1;
}

await main().catch((e: unknown) => {
  console.error(`latency bench failed: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
});
