/**
 * Enrichment stage cost with a warm cache: 110 pods (the kubelet's default per-node maximum) served by the
 * kube-apiserver stand-in and synced through the real Kubernetes source, then batches of 1,024 events from 8
 * containers each. A pass-through stage in the same run is the baseline for the added per-batch latency.
 */
import { trace } from '@opentelemetry/api';
import type { EventBatch } from '@peregrine/event';
import type { BatchStage, HandlerContext } from '@peregrine/runtime';
import { EnrichmentStage } from '../src/stage.ts';
import { KubeApiServerStandIn } from '../../../tests/support/kube-apiserver-standin.ts';
import { containerIdFor, namespace, ownedBy, pod } from '../../../tests/support/kube-fixtures.ts';
import { stageInit } from '../test/harness.ts';
import { batchFor } from '../test/batch-builder.ts';

const PODS = 110;
const EVENTS_PER_BATCH = 1024;
const CONTAINERS_PER_BATCH = 8;
const BATCHES = 20_000;
const WARMUP = 2_000;

const ctx: HandlerContext = {
  span: trace.getTracer('bench').startSpan('bench'),
  emitBatch: () => {},
  emitAlert: () => {},
};

const passThrough: BatchStage = { kind: 'batch', name: 'pass-through', handle: (b, c) => c.emitBatch(b) };

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function measure(stage: BatchStage, batches: EventBatch[]): Promise<{ eventsPerSec: number; p50: number; p99: number; mean: number }> {
  for (let i = 0; i < WARMUP; i++) await stage.handle(batches[i % batches.length]!, ctx);
  const lat = new Float64Array(BATCHES);
  const start = process.hrtime.bigint();
  for (let i = 0; i < BATCHES; i++) {
    const t0 = process.hrtime.bigint();
    await stage.handle(batches[i % batches.length]!, ctx);
    lat[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const mean = lat.reduce((a, b) => a + b, 0) / lat.length;
  lat.sort();
  return { eventsPerSec: (BATCHES * EVENTS_PER_BATCH) / secs, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), mean };
}

const api = await KubeApiServerStandIn.start();
api.upsert('namespaces', namespace('bench', { team: 'perf' }));
api.upsert('replicasets', ownedBy('svc-5f7c9', 'bench', { kind: 'Deployment', name: 'svc' }));
const ids: string[] = [];
for (let i = 0; i < PODS; i++) {
  const id = containerIdFor(`bench-${i}`);
  ids.push(id);
  api.upsert('pods', pod({ name: `svc-5f7c9-${i}`, namespace: 'bench', node: 'bench-node', containerId: id, labels: { app: 'svc', shard: String(i % 7) }, owner: { kind: 'ReplicaSet', name: 'svc-5f7c9' } }));
}
const stage = new EnrichmentStage();
const { init } = stageInit('bench-node', {
  cluster: 'bench', sources: ['kube'], metadataWaitMs: 1000,
  kube: { apiServer: api.url, insecureSkipTlsVerify: true },
});
await stage.init(init);
await stage.sourcesSynced();

const batches: EventBatch[] = [];
for (let i = 0; i < 64; i++) {
  const chosen = Array.from({ length: CONTAINERS_PER_BATCH }, (_, j) => ids[(i * CONTAINERS_PER_BATCH + j) % ids.length]!);
  batches.push(batchFor('bench-node', i, chosen, EVENTS_PER_BATCH / CONTAINERS_PER_BATCH));
}
const complete = batches.every((b) => b.containers.every((c) => stage.metadata.get(c.id)?.complete ?? true));

(globalThis as { gc?: () => void }).gc?.();
const base = await measure(passThrough, batches);
const enr = await measure(stage, batches);
// Prove the cache was warm: every record came out complete.
const filled = batches.every((b) => b.containers.every((c) => c.k8s?.nsName === 'bench'));
const rssMiB = process.memoryUsage().rss / 2 ** 20;

const f = (n: number) => n.toFixed(1);
console.log(`warm cache: ${PODS} pods synced from the stand-in, ${BATCHES} batches x ${EVENTS_PER_BATCH} events, ${CONTAINERS_PER_BATCH} containers per batch (all filled: ${filled && complete})`);
console.log(`pass-through baseline: ${(base.eventsPerSec / 1e6).toFixed(2)} M events/s, per batch p50 ${f(base.p50)} us, p99 ${f(base.p99)} us`);
console.log(`enrichment:            ${(enr.eventsPerSec / 1e6).toFixed(2)} M events/s, per batch p50 ${f(enr.p50)} us, p99 ${f(enr.p99)} us`);
console.log(`added per-batch latency: mean ${f(enr.mean - base.mean)} us, p50 ${f(enr.p50 - base.p50)} us, p99 ${f(enr.p99 - base.p99)} us; throughput ratio enrichment/baseline ${(enr.eventsPerSec / base.eventsPerSec).toFixed(3)}`);
console.log(`rss ${f(rssMiB)} MiB, cache ${stage.metadata.size} containers`);
await stage.close();
await api.close();
if (!filled || !complete) process.exit(1);
