/**
 * The JS side alone, decode → state → batch, on records the kernel really produced: an open/close loop and a
 * fork+exec loop are captured once into memory, then replayed through a Tracker and BatchBuilder. Repeatable where
 * the wall-clock benchmark (capture.bench.ts) is noisy on a shared machine. Prints wall and CPU ns per event (CPU
 * includes GC helper threads), the share of wall time spent in GC, events/s and RSS, against a baseline from this
 * run: a bare walk over the same record headers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { LAYOUT } from '../src/abi.ts';
import { BatchBuilder } from '../src/batcher.ts';
import { DEFAULT_DRIVER_OPTIONS, Driver, missingPrivileges } from '../src/driver.ts';
import { scanAll } from '../src/proc-scan.ts';
import { ProcTable } from '../src/state.ts';
import { DEFAULT_RULE_EVENT_TYPES, selectionBuffer, STATE_EVENT_TYPES } from '../src/syscalls.ts';
import { Tracker } from '../src/tracker.ts';
import { UserDb } from '../src/users.ts';

if (process.getuid?.() !== 0 || missingPrivileges().length > 0) {
  console.log('capture decode bench: skipped (needs root for eBPF)');
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'pg-decode-'));
const loops = join(work, 'loops');
execFileSync('cc', ['-O2', '-o', loops, join(import.meta.dirname, 'loops.c')]);

/** Records of one command, copied out of the ring. */
async function record(cmd: string, args: string[]): Promise<Buffer[]> {
  const bufs: Buffer[] = [];
  const driver = new Driver({ ...DEFAULT_DRIVER_OPTIONS, ringBytes: 64 << 20 });
  driver.start((b) => { bufs.push(Buffer.from(b)); });
  driver.select(selectionBuffer([...DEFAULT_RULE_EVENT_TYPES, ...STATE_EVENT_TYPES]).buffer);
  execFileSync(cmd, args);
  await new Promise((r) => setTimeout(r, 300));
  driver.close();
  return bufs;
}

function walk(bufs: Buffer[]): number {
  let n = 0;
  for (const buf of bufs) {
    for (let off = 0; off + LAYOUT.pg_hdr.$size <= buf.length;) {
      const size = buf.readUInt16LE(off + LAYOUT.pg_hdr.size);
      if (size === 0) break;
      n += buf[off + LAYOUT.pg_hdr.type];
      off += (size + 7) & ~7;
    }
  }
  return n;
}

let gcMs = 0;
new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMs += e.duration; }).observe({ entryTypes: ['gc'] });

const table = new ProcTable(65536, 4096, 5000);
for (const p of scanAll()) table.add(p);
let published = 0;
const batcher = new BatchBuilder({ node: 'bench', maxEvents: 1000, maxDelayMs: 50, maxInFlight: 1 << 30 }, table, new UserDb(table), async (b) => { published += b.events.length; });
const tracker = new Tracker(table, batcher, process.pid);

async function replay(name: string, bufs: Buffer[], rounds: number): Promise<void> {
  for (let i = 0; i < 3; i++) for (const b of bufs) tracker.handle(b); // warm up the JIT and the tables
  batcher.flush();
  await new Promise((r) => setImmediate(r));
  let t = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) walk(bufs);
  const walkNs = Number(process.hrtime.bigint() - t);
  const e0 = tracker.counters.events;
  const gc0 = gcMs;
  const cpu0 = process.cpuUsage();
  t = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    for (const b of bufs) {
      tracker.handle(b);
      await new Promise((r) => setImmediate(r)); // one drained buffer per callback, as the addon delivers them
    }
    batcher.flush();
  }
  const ns = Number(process.hrtime.bigint() - t);
  const cpu = process.cpuUsage(cpu0);
  await new Promise((r) => setTimeout(r, 50));
  const events = tracker.counters.events - e0;
  const perEvent = ns / events;
  const cpuPerEvent = ((cpu.user + cpu.system) * 1000) / events;
  console.log(`${name.padEnd(24)} ${perEvent.toFixed(0).padStart(6)} ns/event (CPU ${cpuPerEvent.toFixed(0)})  GC ${(((gcMs - gc0) * 1e6) / ns * 100).toFixed(0).padStart(3)}%  ` +
    `${(events / (ns / 1e9) / 1e6).toFixed(2)} M events/s  vs bare header walk ${(ns / walkNs).toFixed(1)}x ` +
    `(${(walkNs / events).toFixed(0)} ns/event)  RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
}

const openclose = await record(loops, ['openclose', '100000']);
const forkexec = await record('/bin/sh', ['-c', 'for i in $(seq 300); do /bin/true; done']);
await replay('open+close loop', openclose, 10);
await replay('fork+exec loop', forkexec, 10);
console.log(`published ${published} events`);
rmSync(work, { recursive: true, force: true });
