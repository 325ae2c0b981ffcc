/**
 * The enrichment stage as the runtime host runs it — loaded through its package's default export, configured from
 * its config section, between a source and a sink on the in-memory bus — with its Kubernetes source on the
 * kube-apiserver stand-in. Batches keep their order and every event arrives, enriched.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '@peregrine/bus';
import type { EventBatch } from '@peregrine/event';
import { Host, createLogger, loadConfig, type BatchStage, type SourceStage } from '@peregrine/runtime';
import enrichment from '@peregrine/enrichment';
import { KubeApiServerStandIn } from '../support/kube-apiserver-standin.ts';
import { containerIdFor, namespace, pod } from '../support/kube-fixtures.ts';
import { batchFor } from '../../services/enrichment/test/batch-builder.ts';

/** The runtime's defaults, with handlers running concurrently as in production. */
const settings = { ...loadConfig(undefined, {}).runtime, concurrency: 8 };
const silent = createLogger({ sink: { write: () => {} } });

describe('enrichment hosted by the runtime over the memory bus (kube-apiserver stand-in)', () => {
  let api: KubeApiServerStandIn;
  before(async () => {
    api = await KubeApiServerStandIn.start();
    api.upsert('namespaces', namespace('apps'));
  });
  after(async () => { await api.close(); });

  it('every event of 40 batches arrives in order, with the pod that appears mid-stream filled in', async () => {
    const known = containerIdFor('known');
    const later = containerIdFor('later');
    api.upsert('pods', pod({ name: 'known-pod', namespace: 'apps', node: 'n1', containerId: known }));
    const source: SourceStage = {
      kind: 'source', name: 'capture',
      async run(ctx) {
        for (let seq = 1; seq <= 40 && !ctx.signal.aborted; seq++) {
          // From batch 20 on, a container whose pod the API server learns of only afterwards.
          if (seq === 20) setTimeout(() => api.upsert('pods', pod({ name: 'later-pod', namespace: 'apps', node: 'n1', containerId: later })), 100);
          await ctx.emitBatch(batchFor('n1', seq, seq >= 20 ? [known, later] : [known], 5));
        }
      },
    };
    const seen: EventBatch[] = [];
    const sink: BatchStage = { kind: 'batch', name: 'sink', handle(b) { seen.push(b); } };
    const host = new Host({
      bus: new MemoryBus(), node: 'n1', settings, logger: silent, http: null,
      stages: [
        { name: 'capture', stage: source, config: {}, next: 'enrichment' },
        {
          name: 'enrichment', stage: enrichment(), next: 'sink',
          config: { cluster: 'hosted', sources: ['kube'], metadataWaitMs: 5000, kube: { apiServer: api.url, insecureSkipTlsVerify: true, backoffBaseMs: 20 } },
        },
        { name: 'sink', stage: sink, config: {}, next: undefined },
      ],
    });
    await host.start();
    const until = Date.now() + 15_000;
    while (seen.length < 40 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await host.drain();
    assert.deepEqual(seen.map((b) => b.seq), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.equal(seen.reduce((n, b) => n + b.events.length, 0), 19 * 5 + 21 * 10);
    assert.ok(seen.every((b) => b.cluster === 'hosted'));
    assert.ok(seen.every((b) => b.containers[0]!.k8s?.podName === 'known-pod'));
    assert.ok(seen.slice(19).every((b) => b.containers[1]!.k8s?.podName === 'later-pod'));
  });
});
