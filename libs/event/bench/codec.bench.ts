/**
 * Batch codec candidates, measured in one run on the same realistic batch (1,000 events, 50 processes with
 * ancestry, 200 fds, two k8s containers): the hand layout we ship, msgpackr with records, and JSON as the baseline.
 * Prints encode+decode events/s, bytes/event, per-batch latency percentiles, ratios against JSON, and RSS.
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

interface Result { name: string; eventsPerSec: number; bytesPerEvent: number; p50: number; p99: number; exact: boolean }

function measure(c: Candidate): Result {
  const exact = batches.every((b) => isDeepStrictEqual(c.decode(c.encode(b)), b));
  const bytes = batches.reduce((n, b) => n + c.encode(b).length, 0) / (batches.length * BATCH_EVENTS);
  for (let i = 0; i < 200; i++) c.decode(c.encode(batches[i % batches.length]!));
  globalThis.gc?.();
  const lat: number[] = [];
  const start = performance.now();
  let i = 0;
  while (performance.now() - start < RUN_MS) {
    const t0 = performance.now();
    c.decode(c.encode(batches[i++ % batches.length]!));
    lat.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!;
  return { name: c.name, eventsPerSec: (i * BATCH_EVENTS) / elapsed, bytesPerEvent: bytes, p50: pct(0.5), p99: pct(0.99), exact };
}

const results = candidates.map(measure);
const json = results.find((r) => r.name === 'json')!;
console.log(`codec encode+decode, ${BATCH_EVENTS}-event batches, ${RUN_MS} ms each`);
console.log('candidate          events/s  x json   bytes/ev  x json   batch p50 ms  p99 ms  exact round-trip');
for (const r of results) {
  console.log(
    `${r.name.padEnd(17)} ${Math.round(r.eventsPerSec).toString().padStart(9)}  ${(r.eventsPerSec / json.eventsPerSec).toFixed(2).padStart(6)}` +
      `  ${r.bytesPerEvent.toFixed(1).padStart(8)}  ${(r.bytesPerEvent / json.bytesPerEvent).toFixed(3).padStart(6)}` +
      `  ${r.p50.toFixed(3).padStart(12)}  ${r.p99.toFixed(3).padStart(6)}  ${r.exact ? 'yes' : 'NO'}`,
  );
}
console.log(`rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MiB`);
