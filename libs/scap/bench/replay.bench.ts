/**
 * Replay throughput: one shared capture's events repeated to over a million, read (a) with one filter and format,
 * as `peregrine replay --filter -p` does, against (b) `sysdig -r` with the same filter and format, in interleaved
 * passes of the same run, both writing their lines to /dev/null; then (c) through the full stable + incubating
 * ruleset. Prints events/s per pass, medians, the ratio to sysdig by wall and by CPU time, RSS, and batch latency.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadRules } from '@peregrine/rules';
import { EventCursor, openCapture, readCapture, replayBatches } from '../src/index.ts';
import { linesOf, printPlan } from '../../cli/src/commands/replay.ts';

const SCAP_DIR = process.env.PEREGRINE_SCAP_DIR ?? join(import.meta.dirname, '../../../../shared/scap');
const RULES_DIR = process.env.PEREGRINE_RULES_DIR ?? join(import.meta.dirname, '../../../../shared/falco-rules');
const SOURCE = join(SCAP_DIR, 'libs-curl_google.scap');
const TARGET_EVENTS = 1_000_000;
const FILTER = "evt.type in (open, openat, connect) and evt.dir=< and (fd.name startswith /etc or fd.type in (ipv4, ipv6))";
const FORMAT = '%evt.num %proc.name %evt.type %fd.name';
const PASSES = Number(process.env.REPLAY_BENCH_PASSES ?? 5);

/** The capture's header and metadata once, then its event blocks repeated until there are enough events. */
function buildCapture(path: string): number {
  const plain = gunzipSync(readFileSync(SOURCE));
  const cursor = new EventCursor(openCapture(plain));
  let events = 0;
  let first = -1;
  while (cursor.next()) {
    if (first < 0) first = cursor.blockOffset;
    events++;
  }
  const copies = Math.ceil(TARGET_EVENTS / events);
  const fd = openSync(path, 'w');
  writeSync(fd, plain.subarray(0, first));
  const body = plain.subarray(first);
  for (let i = 0; i < copies; i++) writeSync(fd, body);
  closeSync(fd);
  return events * copies;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1048576);
}

function median(xs: number[]): number {
  return percentile([...xs].sort((x, y) => x - y), 50);
}

interface Timing {
  wall: number;
  cpu: number;
}

/** `sysdig -r FILE -p FORMAT FILTER > /dev/null`, timed by bash's `time` (user + sys of sysdig alone, ms resolution). */
function sysdigPass(file: string): Timing {
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%3R %3U %3S"; { time sysdig -r "$1" -p "$2" "$3" > /dev/null; } 2>&1', '_', file, FORMAT, FILTER],
    { encoding: 'utf8' });
  const [wall, user, sys] = r.stdout.trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number, number];
  if (r.status !== 0 || !(wall > 0)) throw new Error(`sysdig failed: ${r.stdout}${r.stderr}`);
  return { wall, cpu: user + sys };
}

/** Our pass, as `peregrine replay --filter -p` runs it: read the file, replay, filter, render, write to /dev/null. */
function oursPass(file: string, out: number): Timing & { lines: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const plan = printPlan(FILTER, FORMAT);
  const lines = linesOf(replayBatches(readCapture(file), { eventTypes: plan.filter?.eventTypes ?? null }), plan);
  let n = 0;
  let text = '';
  for (let r = lines.next(); !r.done; r = lines.next()) {
    n++;
    text += `${r.value}\n`;
    if (text.length > 1 << 16) {
      writeSync(out, text);
      text = '';
    }
  }
  if (text) writeSync(out, text);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6, lines: n };
}

/** sysdig's peak RSS in MB, when GNU time is installed (bash cannot report a child's). */
function sysdigRssMb(file: string): string {
  if (!existsSync('/usr/bin/time')) return 'n/a (no /usr/bin/time)';
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'sysdig', '-r', file, '-p', FORMAT, FILTER], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  return `${Math.round(Number(r.stderr.trim().split('\n').at(-1)) / 1024)} MB`;
}

const fmtRate = (events: number, secs: number) => `${(events / secs / 1e6).toFixed(2)} M events/s`;

const dir = mkdtempSync(join(tmpdir(), 'replay-bench-'));
const devNull = openSync('/dev/null', 'w');
try {
  const file = join(dir, 'big.scap');
  const total = buildCapture(file);
  console.log(`capture: ${total} events (libs-curl_google.scap repeated), filter: ${FILTER}, format: ${FORMAT}`);

  // (a)+(b): the same filter and format to /dev/null, sysdig and ours taking turns so load changes hit both alike;
  // our first pass runs before the JIT has compiled the hot path, as a one-off `peregrine replay` does
  const sysdigCount = spawnSync('bash', ['-c', 'sysdig -r "$1" -p "$2" "$3" | wc -l', '_', file, FORMAT, FILTER], { encoding: 'utf8' });
  const sysdigLines = Number(sysdigCount.stdout.trim());
  const sd: Timing[] = [];
  const ours: Timing[] = [];
  for (let pass = 1; pass <= PASSES; pass++) {
    const s = sysdigPass(file);
    const o = oursPass(file, devNull);
    if (o.lines !== sysdigLines) throw new Error(`pass ${pass}: ours printed ${o.lines} lines, sysdig ${sysdigLines}`);
    sd.push(s);
    ours.push(o);
    console.log(`pass ${pass}${pass === 1 ? ' (ours JIT-cold)' : ''}: sysdig ${fmtRate(total, s.wall)} (${s.wall.toFixed(3)} s wall, `
      + `${s.cpu.toFixed(3)} s cpu), ours ${fmtRate(total, o.wall)} (${o.wall.toFixed(3)} s wall, ${o.cpu.toFixed(3)} s cpu), `
      + `ratio ours/sysdig ${(s.wall / o.wall).toFixed(2)} by wall, ${(s.cpu / o.cpu).toFixed(2)} by cpu`);
  }
  const sWall = median(sd.map((t) => t.wall));
  const sCpu = median(sd.map((t) => t.cpu));
  const oWall = median(ours.map((t) => t.wall));
  const oCpu = median(ours.map((t) => t.cpu));
  const oursRss = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`filter, median of ${PASSES} passes (${sysdigLines} lines each): sysdig ${fmtRate(total, sWall)} (cpu ${fmtRate(total, sCpu)}), `
    + `ours ${fmtRate(total, oWall)} (cpu ${fmtRate(total, oCpu)}); ratio ours/sysdig ${(sWall / oWall).toFixed(2)} by wall, `
    + `${(sCpu / oCpu).toFixed(2)} by cpu; cold pass ${(sd[0]!.wall / ours[0]!.wall).toFixed(2)} by wall`);
  console.log(`peak rss: ours ${oursRss} MB (whole bench process), sysdig ${sysdigRssMb(file)}`);

  // (c) the full stable + incubating ruleset, per-batch latency
  {
    const ruleset = await loadRules([join(RULES_DIR, 'falco_rules.yaml'), join(RULES_DIR, 'falco-incubating_rules.yaml')]);
    const capture = readCapture(file);
    const types = ruleset.eventTypes();
    const gen = replayBatches(capture, { eventTypes: types ? new Set(types) : null });
    const lat: number[] = [];
    let alerts = 0;
    const t0 = process.hrtime.bigint();
    for (;;) {
      const b0 = process.hrtime.bigint();
      const r = gen.next();
      if (r.done) break;
      alerts += ruleset.evaluate(r.value, () => {});
      lat.push(Number(process.hrtime.bigint() - b0) / 1e6);
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    lat.sort((x, y) => x - y);
    console.log(`ruleset (${ruleset.activeRules.length} active rules): ${fmtRate(total, secs)} `
      + `(${secs.toFixed(2)} s, ${alerts} alerts), per 1024-event batch p50 ${percentile(lat, 50).toFixed(2)} ms `
      + `p99 ${percentile(lat, 99).toFixed(2)} ms max ${lat.at(-1)!.toFixed(2)} ms, rss ${rssMb()} MB`);
  }
} finally {
  closeSync(devNull);
  rmSync(dir, { recursive: true, force: true });
}
