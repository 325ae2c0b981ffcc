/**
 * `run --all` territory: four stages in one process on the MemoryBus (source → relay → relay → sink, every hop
 * encoded and decoded as over NATS), against the same encode/decode chain called directly in the same run. The ratio
 * is what the host adds: spans (no-op API here), metrics, ordering, backpressure, acks. Prints events/s, per-batch
 * latency source→sink and RSS.
 */
import { decodeBatch, encodeBatch, type EventBatch } from '@peregrine/event';
import { MemoryBus } from '@peregrine/bus';
import { Host } from '../src/host.ts';
import { createLogger } from '../src/logger.ts';
import type { BatchStage, SourceStage } from '../src/stage.ts';
import { syntheticBatch } from '../../../tests/pipeline/fixtures/synthetic-source.ts';

const BATCHES = Number(process.env.BENCH_BATCHES ?? 400);
const EVENTS = Number(process.env.BENCH_EVENTS_PER_BATCH ?? 1000);
const TOTAL = BATCHES * EVENTS;
const batches: EventBatch[] = Array.from({ length: BATCHES }, (_, i) => syntheticBatch('bench', i + 1, EVENTS));

function direct(): number {
  const t0 = performance.now();
  let n = 0;
  for (const b of batches) {
    let x = b;
    for (let hop = 0; hop < 3; hop++) x = decodeBatch(encodeBatch(x));
    n += x.events.length;
  }
  if (n !== TOTAL) throw new Error('lost events');
  return (performance.now() - t0) / 1000;
}

async function hosted(): Promise<{ seconds: number; latencies: number[] }> {
  const emitted = new Map<number, number>();
  const latencies: number[] = [];
  let events = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => { finish = r; });
  const relay = (): BatchStage => ({ kind: 'batch', name: 'relay', handle(b, ctx) { ctx.emitBatch(b); } });
  const sink: BatchStage = { kind: 'batch', name: 'sink', handle(b) {
    latencies.push(performance.now() - emitted.get(b.seq)!);
    events += b.events.length;
    if (events === TOTAL) finish();
  } };
  let go!: () => void;
  const started = new Promise<void>((r) => { go = r; });
  const source: SourceStage = { kind: 'source', name: 'src', async run(ctx) {
    await started;
    for (const b of batches) { emitted.set(b.seq, performance.now()); await ctx.emitBatch(b); }
  } };
  const host = new Host({
    bus: new MemoryBus(), node: 'bench', logger: createLogger({ level: 'warn' }), http: null,
    settings: { concurrency: 4, maxMessageBytes: 2 ** 24, maxPendingBytes: 2 ** 25, maxAckPending: 256, badInputLogIntervalMs: 10_000, drainTimeoutMs: 10_000, keepTraceGraceMs: 0 },
    stages: [
      { name: 'capture', stage: source, config: {}, next: 'enrichment' },
      { name: 'enrichment', stage: relay(), config: {}, next: 'evaluation' },
      { name: 'evaluation', stage: relay(), config: {}, next: 'sink' },
      { name: 'sink', stage: sink, config: {}, next: undefined },
    ],
  });
  await host.start();
  const t0 = performance.now();
  go();
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await host.drain();
  return { seconds, latencies };
}

direct(); // warm up the codec
const d = direct();
const h = await hosted();
const lat = [...h.latencies].sort((a, b) => a - b);
const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!.toFixed(2);
console.log(`${BATCHES} batches × ${EVENTS} events, 3 hops (encode + decode each)`);
console.log(`direct codec chain       ${(TOTAL / d / 1e3).toFixed(0).padStart(6)} k events/s  ratio 1.000`);
console.log(`hosted on the MemoryBus  ${(TOTAL / h.seconds / 1e3).toFixed(0).padStart(6)} k events/s  ratio ${(d / h.seconds).toFixed(3)}`);
console.log(`latency source→sink per batch: p50 ${pct(50)} ms  p99 ${pct(99)} ms`);
console.log(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
