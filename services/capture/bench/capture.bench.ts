/**
 * Capture overhead and throughput on the real kernel (root only), all measured in this one run:
 *  1. a realistic workload (tar of /usr/include + /usr/share/doc into a pipe) bare vs under capture with the stable
 *     + incubating rules' event types selected: the ratio (goal ≤ 1.2x);
 *  2. a getpid loop (not selected) and an open/close loop (selected): ratios and the cost per emitted event;
 *  3. every syscall selected, a getpid loop: events/s delivered into JS, drops, delivery latency, RSS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Capture } from '../src/capture.ts';
import { DEFAULT_DRIVER_OPTIONS, Driver, missingPrivileges } from '../src/driver.ts';
import { selectAllBuffer, DEFAULT_RULE_EVENT_TYPES } from '../src/syscalls.ts';
import { LAYOUT } from '../src/abi.ts';

if (process.getuid?.() !== 0 || missingPrivileges().length > 0) {
  console.log('capture bench: skipped (needs root for eBPF)');
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'pg-bench-'));
const loops = join(work, 'loops');
execFileSync('cc', ['-O2', '-o', loops, join(import.meta.dirname, 'loops.c')]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wall time (ms) of a command, run without blocking the event loop (capture drains into this process). */
function timed(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    import('node:child_process').then(({ spawn }) => {
      const c = spawn(cmd, args, { stdio: 'ignore' });
      c.on('error', reject);
      c.on('exit', () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function medianOf(n: number, cmd: string, args: string[]): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await timed(cmd, args));
  return median(xs);
}

const TAR = ['-c', 'tar cf - /usr/include /usr/share/doc 2>/dev/null | cat > /dev/null'];
const GETPID_N = '2000000';
const OPEN_N = '200000';

spawnSync('sh', TAR); // warm the page cache
const bare = {
  tar: await medianOf(5, 'sh', TAR),
  getpid: await medianOf(5, loops, ['getpid', GETPID_N]),
  open: await medianOf(5, loops, ['openclose', OPEN_N]),
};

let published = 0;
const cpu0 = process.cpuUsage();
const capture = new Capture({ node: 'bench', batch: { maxEvents: 2000, maxDelayMs: 50 } }, async (b) => { published += b.events.length; });
capture.start(DEFAULT_RULE_EVENT_TYPES);
await sleep(200);
const before = capture.stats();
const under = {
  tar: await medianOf(5, 'sh', TAR),
  getpid: await medianOf(5, loops, ['getpid', GETPID_N]),
  open: 0,
};
const openStart = capture.stats().events;
under.open = await medianOf(5, loops, ['openclose', OPEN_N]);
await sleep(200);
const after = capture.stats();
const rss = process.memoryUsage().rss;
const cpu = process.cpuUsage(cpu0);
capture.stop();
// bare again after capture is gone: the machine's drift shows in the two bare figures
const bare2 = { tar: await medianOf(5, 'sh', TAR), getpid: await medianOf(5, loops, ['getpid', GETPID_N]), open: await medianOf(5, loops, ['openclose', OPEN_N]) };
const mean = (a: number, b: number) => (a + b) / 2;

// open/close loop: 2 events per iteration (openat + close), 5 runs
const openEvents = (after.events - openStart) / 5;
const perEventUs = ((under.open - (bare.open + bare2.open) / 2) * 1000) / Math.max(openEvents, 1);

console.log('workload                     bare ms   capture ms   ratio');
const row = (name: string, b: number, u: number) =>
  console.log(`${name.padEnd(28)} ${b.toFixed(1).padStart(8)} ${u.toFixed(1).padStart(12)} ${(u / b).toFixed(2).padStart(7)}x`);
row('tar /usr/include+doc', mean(bare.tar, bare2.tar), under.tar);
row(`getpid x${GETPID_N} (unselected)`, mean(bare.getpid, bare2.getpid), under.getpid);
row(`open+close x${OPEN_N} (selected)`, mean(bare.open, bare2.open), under.open);
console.log(`bare before/after capture (ms): tar ${bare.tar.toFixed(0)}/${bare2.tar.toFixed(0)}, getpid ${bare.getpid.toFixed(0)}/${bare2.getpid.toFixed(0)}, open ${bare.open.toFixed(0)}/${bare2.open.toFixed(0)}`);
console.log(`cost per emitted event: ${perEventUs.toFixed(2)} us (${openEvents.toFixed(0)} events per open/close run)`);
console.log(`capture process CPU (decode, state, batches; drain thread included): ${(((cpu.user + cpu.system) * 1000) / Math.max(after.events - before.events, 1)).toFixed(0)} ns per event`);
console.log(`events into batches: ${after.events - before.events}, published: ${published}, kernel drops: ${after.kernelDrops - before.kernelDrops}, batch drops: ${after.droppedEvents}`);
console.log(`RSS with capture running: ${(rss / 1048576).toFixed(0)} MiB, thread table: ${after.procs} procs, ${after.fds} fds`);

// 3. every syscall selected: raw delivery into JS
const driver = new Driver({ ...DEFAULT_DRIVER_OPTIONS, ringBytes: 64 << 20, wakeupBytes: 4 << 20 });
let records = 0;
const lat: number[] = [];
driver.start((buf) => {
  const now = process.hrtime.bigint(); // CLOCK_MONOTONIC ≈ BOOTTIME on an unsuspended host
  let off = 0;
  let last = 0;
  while (off + LAYOUT.pg_hdr.$size <= buf.length) {
    const size = buf.readUInt16LE(off + LAYOUT.pg_hdr.size);
    if (size === 0) break;
    records++;
    last = off;
    off += (size + 7) & ~7;
  }
  if (lat.length < 100_000) lat.push(Number(now - buf.readBigUInt64LE(last + LAYOUT.pg_hdr.ts)) / 1e6);
});
driver.select(selectAllBuffer());
const dropsBefore = driver.drops().reduce((a, n) => a + n, 0);
const t0 = process.hrtime.bigint();
const r0 = records;
const allMs = await timed(loops, ['getpid', '3000000']);
await sleep(300);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const delivered = records - r0;
const drops = driver.drops().reduce((a, n) => a + n, 0) - dropsBefore;
driver.close();
lat.sort((a, b) => a - b);
const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * p))].toFixed(2) : 'n/a');
console.log(`all syscalls selected: getpid x3000000 took ${allMs.toFixed(0)} ms (bare ${(mean(bare.getpid, bare2.getpid) * 1.5).toFixed(0)} ms)`);
console.log(`  delivered into JS: ${delivered} records, ${(delivered / (allMs / 1000) / 1e6).toFixed(2)} M events/s during the loop (${(delivered / secs / 1e6).toFixed(2)} M/s over ${secs.toFixed(2)} s), drops: ${drops}`);
console.log(`  batch delivery latency (last record of a batch, ms): p50 ${pct(0.5)} p90 ${pct(0.9)} p99 ${pct(0.99)}`);
console.log(`  RSS: ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
rmSync(work, { recursive: true, force: true });
