/**
 * Replay throughput: one shared capture's events repeated to over a million, read (a) with one filter printing the
 * matching lines, as `peregrine replay --filter -p` does, (b) through the full stable + incubating ruleset, and
 * (c) with the same filter and format in `sysdig -r`, timed in the same run. Prints events/s, the ratio to sysdig,
 * per-batch latency percentiles and RSS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
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

const dir = mkdtempSync(join(tmpdir(), 'replay-bench-'));
try {
  const file = join(dir, 'big.scap');
  const total = buildCapture(file);
  console.log(`capture: ${total} events (libs-curl_google.scap repeated), ${file}`);

  // (a) one filter + format, as `peregrine replay --filter -p`: a first (cold) pass, then passes with the code already
  // compiled by the JIT, as a long capture runs most of its time (each pass reads the file again)
  const sd = spawnSync('bash', ['-c', 'TIMEFORMAT="%R %U %S"; { time sysdig -r "$1" -p "$2" "$3" | wc -l; } 2>&1', '_', file, FORMAT, FILTER], { encoding: 'utf8' });
  const [linesOut, timing] = sd.stdout.trim().split('\n');
  const [wall, user, sys] = timing!.split(' ').map(Number) as [number, number, number];
  const sysdigCpu = user + sys;
  console.log(`sysdig -r: ${Math.round(total / wall)} events/s (${wall.toFixed(2)} s wall, ${sysdigCpu.toFixed(2)} s cpu, ${Number(linesOut)} lines)`);
  for (const pass of ['cold', 'warm 1', 'warm 2', 'warm 3']) {
    const plan = printPlan(FILTER, FORMAT);
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const capture = readCapture(file);
    const lines = linesOf(replayBatches(capture, { eventTypes: plan.filter?.eventTypes ?? null }), plan);
    let n = 0;
    for (let r = lines.next(); !r.done; r = lines.next()) n++;
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(c0);
    const cpuSecs = (cpu.user + cpu.system) / 1e6;
    console.log(`filter (${pass}): ours ${Math.round(total / secs)} events/s (${secs.toFixed(2)} s wall, ${cpuSecs.toFixed(2)} s cpu, `
      + `${n} lines), ratio ours/sysdig ${(wall / secs).toFixed(2)} by wall, ${(sysdigCpu / cpuSecs).toFixed(2)} by cpu, rss ${rssMb()} MB`);
  }

  // (b) the full stable + incubating ruleset, per-batch latency
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
    console.log(`ruleset (${ruleset.activeRules.length} active rules): ${Math.round(total / secs)} events/s `
      + `(${secs.toFixed(2)} s, ${alerts} alerts), per 1024-event batch p50 ${percentile(lat, 50).toFixed(2)} ms `
      + `p99 ${percentile(lat, 99).toFixed(2)} ms max ${lat.at(-1)!.toFixed(2)} ms, rss ${rssMb()} MB`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
