import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataState } from '@peregrine/event';
import { EnrichmentStage } from '../src/stage.ts';
import type { ContainerMeta, MetadataSink, MetadataSource } from '../src/metadata.ts';
import { counterTotal, handleOne, stageInit } from './harness.ts';
import { batchFor } from './batch-builder.ts';

/** A source the test drives by hand. */
class ManualSource implements MetadataSource {
  readonly name = 'kube';
  sink: MetadataSink | undefined;
  async start(sink: MetadataSink) { this.sink = sink; }
  async synced() {}
  async stop() {}
}

const k8s = { nsName: 'ns', nsLabels: {}, podName: 'pod-1', podUid: 'u', podIp: '', podLabels: { a: 'b' }, workloadKind: 'Pod', workloadName: 'pod-1' };
const meta: ContainerMeta = {
  name: 'c', image: 'i:1', imageRepository: 'i', imageTag: '1', imageDigest: '', imageId: '', privileged: false, mounts: [],
  startTs: 0n, k8s, exited: false,
};

describe('EnrichmentStage', () => {
  it('without sources stamps the cluster and passes at once, records marked None', async () => {
    const stage = new EnrichmentStage();
    const { init } = stageInit('n', { cluster: 'c1', metadataWaitMs: 10_000 });
    await stage.init(init);
    const t0 = Date.now();
    const [out] = await handleOne(stage, batchFor('n', 1, ['a', 'a']));
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(out!.cluster, 'c1');
    assert.equal(out!.containers.length, 1);
    assert.equal(out!.containers[0]!.metadata, MetadataState.None);
    await stage.close();
  });

  it('emits batches in arrival order even when an earlier one waits', async () => {
    const src = new ManualSource();
    const stage = new EnrichmentStage({ sources: [src] });
    const { init, recorded } = stageInit('n', { metadataWaitMs: 2000 });
    await stage.init(init);
    const order: number[] = [];
    const ctx = (seq: number) => handleOne(stage, batchFor('n', seq, seq === 1 ? ['new'] : [])).then(() => order.push(seq));
    const first = ctx(1);
    const second = ctx(2);
    setTimeout(() => src.sink!.put('kube', 'new', meta), 50);
    await Promise.all([first, second]);
    assert.deepEqual(order, [1, 2]);
    assert.equal(counterTotal(recorded, 'peregrine_enrichment_waits_total'), 1);
    await stage.close();
  });

  it('counts a record incomplete only while its metadata is missing', async () => {
    const src = new ManualSource();
    const stage = new EnrichmentStage({ sources: [src] });
    const { init, recorded } = stageInit('n', { metadataWaitMs: 20 });
    await stage.init(init);
    const [a] = await handleOne(stage, batchFor('n', 1, ['x']));
    assert.equal(a!.containers[0]!.metadata, MetadataState.TimedOut);
    src.sink!.put('kube', 'x', meta);
    const [b] = await handleOne(stage, batchFor('n', 2, ['x']));
    assert.equal(b!.containers[0]!.metadata, MetadataState.Complete);
    assert.deepEqual(b!.containers[0]!.k8s?.podLabels, { a: 'b' });
    assert.equal(counterTotal(recorded, 'peregrine_enrichment_incomplete_records_total'), 1);
    assert.equal(counterTotal(recorded, 'peregrine_enrichment_metadata_missing_total'), 1);
    assert.equal(counterTotal(recorded, 'peregrine_enrichment_metadata_late_total'), 1);
    await stage.close();
  });

  it('leaves a record that arrives complete untouched, without waiting for it', async () => {
    const stage = new EnrichmentStage({ sources: [new ManualSource()] });
    const { init } = stageInit('n', { metadataWaitMs: 10_000 });
    await stage.init(init);
    const b = batchFor('n', 1, ['replayed']);
    Object.assign(b.containers[0]!, { name: 'from-scap', image: 'nginx:1', metadata: MetadataState.Complete });
    const t0 = Date.now();
    const [out] = await handleOne(stage, b);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(out!.containers[0]!.name, 'from-scap');
    assert.equal(out!.containers[0]!.metadata, MetadataState.Complete);
    await stage.close();
  });
});
