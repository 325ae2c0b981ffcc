/**
 * Batch codec candidates, measured in one run on the same realistic batch (1,000 events, 50 processes with
 * ancestry, 200 fds, two k8s containers): the hand layout we ship, msgpackr with records, and JSON as the baseline.
 * Prints encode+decode events/s (overall, and at the median batch latency, which machine load disturbs least),
 * bytes/event, per-batch latency percentiles, ratios against JSON, and RSS.
 */
import { isDeepStrictEqual } from 'node:util';
import { Packr } from 'msgpackr';
import { decodeBatch, encodeBatch, type EventBatch } from '../src/index.ts';
import { realisticBatch } from '../test/batch-fixture.ts';

interface Candidate {
  name: string;
  encode(batch: EventBatch): Uint8Array;
  decode(data: Uint8Array): EventBatch;
}

// JSON needs help for bigint and bytes; tagged objects keep it reversible.
const text = new TextEncoder();
const untext = new TextDecoder();
const jsonReplacer = (_key: string, v: unknown): unknown => {
  if (typeof v === 'bigint') return { $big: v.toString() };
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('base64') };
  return v;
};
const jsonReviver = (_key: string, v: unknown): unknown => {
  if (v !== null && typeof v === 'object') {
    const o = v as { $big?: string; $bytes?: string };
    if (typeof o.$big === 'string') return BigInt(o.$big);
    if (typeof o.$bytes === 'string') return new Uint8Array(Buffer.from(o.$bytes, 'base64'));
  }
  return v;
};

const packr = new Packr({ structuredClone: false, useRecords: true, int64AsType: 'bigint', mapsAsObjects: true });

const candidates: Candidate[] = [
  { name: 'json', encode: (b) => text.encode(JSON.stringify(b, jsonReplacer)), decode: (d) => JSON.parse(untext.decode(d), jsonReviver) },
  { name: 'msgpackr-records', encode: (b) => packr.pack(b), decode: (d) => packr.unpack(d) as EventBatch },
  { name: 'hand-layout', encode: encodeBatch, decode: decodeBatch },
];

const BATCH_EVENTS = 1000;
const RUN_MS = Number(process.env.BENCH_MS ?? 2000);
const batches = Array.from({ length: 16 }, (_, i) => realisticBatch(i + 1, BATCH_EVENTS, i));

interface Result { name: string; eventsPerSec: number; p50EventsPerSec: number; bytesPerEvent: number; p50: number; p99: number; exact: boolean }
interface Tally { iterations: number; ms: number; lat: number[] }

/** One slice of timed encode+decode round trips. */
function runSlice(c: Candidate, ms: number, t: Tally): void {
  const start = performance.now();
  let i = t.iterations;
  while (performance.now() - start < ms) {
    const t0 = performance.now();
    c.decode(c.encode(batches[i++ % batches.length]!));
    t.lat.push(performance.now() - t0);
  }
  t.ms += performance.now() - start;
  t.iterations = i;
}

// The candidates take turns in short slices, so a burst of load from elsewhere on the machine hits them alike.
const ROUNDS = 8;
const tallies = candidates.map((c) => {
  for (let i = 0; i < 200; i++) c.decode(c.encode(batches[i % batches.length]!));
  return { iterations: 0, ms: 0, lat: [] } as Tally;
});
globalThis.gc?.();
for (let r = 0; r < ROUNDS; r++) candidates.forEach((c, i) => runSlice(c, RUN_MS / ROUNDS, tallies[i]!));

const results: Result[] = candidates.map((c, i) => {
  const t = tallies[i]!;
  const lat = t.lat.sort((a, b) => a - b);
  const pct = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!;
  return {
    name: c.name,
    eventsPerSec: (t.iterations * BATCH_EVENTS) / (t.ms / 1000),
    p50EventsPerSec: BATCH_EVENTS / (pct(0.5) / 1000),
    bytesPerEvent: batches.reduce((n, b) => n + c.encode(b).length, 0) / (batches.length * BATCH_EVENTS),
    p50: pct(0.5),
    p99: pct(0.99),
    exact: batches.every((b) => isDeepStrictEqual(c.decode(c.encode(b)), b)),
  };
});
const json = results.find((r) => r.name === 'json')!;
console.log(`codec encode+decode, ${BATCH_EVENTS}-event batches, ${RUN_MS} ms each in ${ROUNDS} interleaved slices`);
console.log('candidate          events/s  x json  at p50 ev/s  x json   bytes/ev  x json   batch p50 ms  p99 ms  exact round-trip');
for (const r of results) {
  console.log(
    `${r.name.padEnd(17)} ${Math.round(r.eventsPerSec).toString().padStart(9)}  ${(r.eventsPerSec / json.eventsPerSec).toFixed(2).padStart(6)}` +
      `  ${Math.round(r.p50EventsPerSec).toString().padStart(11)}  ${(r.p50EventsPerSec / json.p50EventsPerSec).toFixed(2).padStart(6)}` +
      `  ${r.bytesPerEvent.toFixed(1).padStart(8)}  ${(r.bytesPerEvent / json.bytesPerEvent).toFixed(3).padStart(6)}` +
      `  ${r.p50.toFixed(3).padStart(12)}  ${r.p99.toFixed(3).padStart(6)}  ${r.exact ? 'yes' : 'NO'}`,
  );
}
console.log(`rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MiB`);
