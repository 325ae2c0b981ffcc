/**
 * One NATS hop with the stage runtime (source host → JetStream → sink host, codec both ways, durable acks) against
 * raw `nats` throughput measured in the same run on the same server and payloads: core publish→subscribe, and
 * JetStream publish (acked) → pull consume. Prints events/s, MB/s, the ratios, emit→handle latency and RSS.
 */
import { connect, type NatsConnection } from 'nats';
import { encodeBatch, type EventBatch } from '@peregrine/event';
import { Host, createLogger, type BatchStage, type SourceStage } from '@peregrine/runtime';
import { NatsBus } from '../src/nats-bus.ts';
import { parseNatsConfig, parseStreamsConfig } from '../src/config.ts';
import { startNats } from '../../../tests/support/nats.ts';
import { syntheticBatch } from '../../../tests/pipeline/fixtures/synthetic-source.ts';

const BATCHES = Number(process.env.BENCH_BATCHES ?? 300);
const EVENTS = Number(process.env.BENCH_EVENTS_PER_BATCH ?? 1000);
const TOTAL_EVENTS = BATCHES * EVENTS;

const batches: EventBatch[] = Array.from({ length: BATCHES }, (_, i) => syntheticBatch('bench', i + 1, EVENTS));
const payloads = batches.map((b) => encodeBatch(b));
const totalBytes = payloads.reduce((n, p) => n + p.length, 0);
let peakRss = 0;
const sampleRss = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };
const rssTimer = setInterval(sampleRss, 20);

interface Result { name: string; seconds: number; latencies?: number[] }

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function rawCore(nc: NatsConnection, sub: NatsConnection): Promise<Result> {
  let got = 0;
  const done = new Promise<void>((resolve) => {
    sub.subscribe('bench.core', { callback: () => { if (++got === BATCHES) resolve(); } });
  });
  await sub.flush();
  const t0 = performance.now();
  for (const p of payloads) nc.publish('bench.core', p);
  await nc.flush();
  await done;
  return { name: 'raw nats core pub→sub', seconds: (performance.now() - t0) / 1000 };
}

async function rawJetStream(nc: NatsConnection): Promise<Result> {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: 'BENCH', subjects: ['bench.js'] });
  await jsm.consumers.add('BENCH', { durable_name: 'bench', ack_policy: 'explicit' as never });
  const js = nc.jetstream();
  const consumer = await js.consumers.get('BENCH', 'bench');
  const t0 = performance.now();
  const consumed = (async () => {
    let n = 0;
    const msgs = await consumer.consume({ max_bytes: 16 * 2 ** 20 });
    for await (const m of msgs) { m.ack(); if (++n === BATCHES) break; }
  })();
  for (const p of payloads) await js.publish('bench.js', p);
  await consumed;
  return { name: 'raw JetStream pub(ack)→consume', seconds: (performance.now() - t0) / 1000 };
}

async function runtimeHop(url: string): Promise<Result> {
  const cfg = parseNatsConfig({ servers: url });
  const streams = parseStreamsConfig({});
  const settings = { concurrency: 4, maxMessageBytes: 8 * 2 ** 20, maxPendingBytes: 32 * 2 ** 20, maxAckPending: 256, badInputLogIntervalMs: 10_000, drainTimeoutMs: 10_000, keepTraceGraceMs: 0 };
  const logger = createLogger({ level: 'warn' });
  const emitted = new Map<number, number>();
  const latencies: number[] = [];
  let events = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => { finish = r; });
  const sink: BatchStage = {
    kind: 'batch', name: 'sink',
    handle(b) {
      latencies.push(performance.now() - emitted.get(b.seq)!);
      events += b.events.length;
      if (events === TOTAL_EVENTS) finish();
    },
  };
  let start!: () => void;
  const go = new Promise<void>((r) => { start = r; });
  const source: SourceStage = {
    kind: 'source', name: 'bench-source',
    async run(ctx) {
      await go;
      for (const b of batches) { emitted.set(b.seq, performance.now()); await ctx.emitBatch(b); }
    },
  };
  const sinkHost = new Host({ bus: await NatsBus.connect(cfg, streams), node: 'bench', stages: [{ name: 'sink', stage: sink, config: {}, next: undefined }], settings, logger, http: null });
  await sinkHost.start();
  const sourceHost = new Host({ bus: await NatsBus.connect(cfg, streams), node: 'bench', stages: [{ name: 'capture', stage: source, config: {}, next: 'sink' }], settings, logger, http: null });
  await sourceHost.start();
  const t0 = performance.now();
  start();
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await sourceHost.drain();
  await sinkHost.drain();
  return { name: 'stage runtime hop (JetStream + codec)', seconds, latencies };
}

const nats = await startNats();
try {
  const pub = await connect({ servers: nats.url });
  const sub = await connect({ servers: nats.url });
  const results: Result[] = [];
  results.push(await rawCore(pub, sub));
  results.push(await rawJetStream(pub));
  results.push(await runtimeHop(nats.url));
  await pub.close();
  await sub.close();
  sampleRss();

  const mb = totalBytes / 2 ** 20;
  console.log(`${BATCHES} batches × ${EVENTS} events, ${(totalBytes / BATCHES / 1024).toFixed(1)} KiB/batch, ${(totalBytes / TOTAL_EVENTS).toFixed(1)} B/event`);
  const core = results[0]!.seconds;
  const js = results[1]!.seconds;
  for (const r of results) {
    console.log(`${r.name.padEnd(40)} ${(TOTAL_EVENTS / r.seconds / 1e3).toFixed(0).padStart(7)} k events/s  ${(mb / r.seconds).toFixed(1).padStart(7)} MB/s  ` +
      `${(BATCHES / r.seconds).toFixed(0).padStart(6)} batches/s  ratio vs core ${(core / r.seconds).toFixed(3)}  vs JetStream ${(js / r.seconds).toFixed(3)}`);
  }
  const lat = [...results[2]!.latencies!].sort((a, b) => a - b);
  console.log(`runtime hop latency emit→handle: p50 ${pct(lat, 50).toFixed(2)} ms  p99 ${pct(lat, 99).toFixed(2)} ms  max ${lat[lat.length - 1]!.toFixed(2)} ms`);
  console.log(`RSS: peak ${(peakRss / 2 ** 20).toFixed(0)} MiB, end ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
} finally {
  clearInterval(rssTimer);
  await nats.dispose();
}
