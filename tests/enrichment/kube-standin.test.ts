/**
 * The enrichment stage against a stand-in Kubernetes API server (tests/support/kube-apiserver-standin.ts) that
 * speaks the real list/watch protocol: metadata arrives, survives a dropped watch, a 410 Gone, an API-server
 * restart, and a pod that shows up after its container's first event, with every event passed on.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataState, type EventBatch } from '@peregrine/event';
import { EnrichmentStage } from '@peregrine/enrichment';
import { KubeApiServerStandIn } from '../support/kube-apiserver-standin.ts';
import { containerIdFor, namespace, ownedBy, pod } from '../support/kube-fixtures.ts';
import { counterTotal, handleOne, stageInit, type Recorded } from '../../services/enrichment/test/harness.ts';
import { batchFor } from '../../services/enrichment/test/batch-builder.ts';

const NODE = 'worker-1';

async function startStage(api: KubeApiServerStandIn, extra: Record<string, unknown> = {}): Promise<{ stage: EnrichmentStage; recorded: Recorded }> {
  const stage = new EnrichmentStage();
  const { init, recorded } = stageInit(NODE, {
    cluster: 'prod-eu-1',
    sources: ['kube'],
    metadataWaitMs: 5000,
    kube: { apiServer: api.url, insecureSkipTlsVerify: true, backoffBaseMs: 20, backoffMaxMs: 200, watchTimeoutSeconds: 60 },
    ...extra,
  });
  const podWatches = () => api.requestsMatching('GET', '/api/v1/pods').filter((r) => r.query.watch === 'true').length;
  const before = podWatches();
  await stage.init(init);
  await stage.sourcesSynced();
  // This stage's own pod watch is open (a request is recorded when its watch registers).
  const until = Date.now() + 5000;
  while (podWatches() === before && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  return { stage, recorded };
}

function eventsIn(batches: EventBatch[]): number {
  return batches.reduce((n, b) => n + b.events.length, 0);
}

describe('enrichment with the kube-apiserver stand-in', () => {
  let api: KubeApiServerStandIn;
  before(async () => {
    api = await KubeApiServerStandIn.start();
    api.upsert('namespaces', namespace('shop', { team: 'payments' }));
    api.upsert('replicasets', ownedBy('checkout-7d9f8b6c5', 'shop', { kind: 'Deployment', name: 'checkout' }));
    api.upsert('jobs', ownedBy('report-29000000', 'shop', { kind: 'CronJob', name: 'report' }));
    // A pod on another node: the field selector must keep it out.
    api.upsert('pods', pod({ name: 'elsewhere', namespace: 'shop', node: 'worker-2', containerId: containerIdFor('elsewhere') }));
  });
  after(async () => { await api.close(); });

  it('fills pod, namespace, workload, image and cluster fields from a listed pod', async () => {
    const id = containerIdFor('checkout');
    api.upsert('pods', pod({
      name: 'checkout-7d9f8b6c5-x2x9q', namespace: 'shop', node: NODE, uid: 'd6f1c1e6-0c4e-4c0e-9d6a-1f0e7b0c2a11',
      ip: '10.244.1.23', labels: { app: 'checkout', tier: 'web' }, containerId: id, containerName: 'server',
      image: 'registry.example.com:5000/shop/checkout:2.4.1', privileged: true,
      owner: { kind: 'ReplicaSet', name: 'checkout-7d9f8b6c5' },
    }));
    const { stage } = await startStage(api);
    try {
      const [out] = await handleOne(stage, batchFor(NODE, 1, [id]));
      assert.equal(out!.cluster, 'prod-eu-1');
      const c = out!.containers[0]!;
      assert.equal(c.metadata, MetadataState.Complete);
      assert.equal(c.name, 'server');
      assert.equal(c.image, 'registry.example.com:5000/shop/checkout:2.4.1');
      assert.equal(c.imageRepository, 'registry.example.com:5000/shop/checkout');
      assert.equal(c.imageTag, '2.4.1');
      assert.equal(c.imageDigest, 'sha256:2bdc49f2f8ae8d8dc50ed00f2ee56d00385c6f8bc8a8b320d0a294d9e3b49026');
      assert.equal(c.privileged, true);
      assert.equal(c.startTs, 1_795_860_000_000_000_000n);
      assert.deepEqual(c.mounts.map((m) => `${m.source}:${m.dest}:${m.rdwr ? 'rw' : 'ro'}`), ['data:/data:rw', '/var/log:/var/log/host:ro']);
      assert.deepEqual(c.k8s, {
        nsName: 'shop', nsLabels: { 'kubernetes.io/metadata.name': 'shop', team: 'payments' },
        podName: 'checkout-7d9f8b6c5-x2x9q', podUid: 'd6f1c1e6-0c4e-4c0e-9d6a-1f0e7b0c2a11', podIp: '10.244.1.23',
        podLabels: { app: 'checkout', tier: 'web' }, workloadKind: 'Deployment', workloadName: 'checkout',
      });
      // The pod on worker-2 is outside this node's field selector: never listed, never cached.
      assert.equal(stage.metadata.get(containerIdFor('elsewhere')), undefined);
      const podQueries = api.requestsMatching('GET', '/api/v1/pods').map((r) => r.query.fieldSelector);
      assert.ok(podQueries.every((q) => q === `spec.nodeName=${NODE}`), `pod requests without the node selector: ${podQueries}`);
    } finally {
      await stage.close();
    }
  });

  it('resumes a watch dropped mid-stream from its resourceVersion, with no event lost', async () => {
    const { stage, recorded } = await startStage(api);
    try {
      const listsBefore = api.requestsMatching('GET', '/api/v1/pods').filter((r) => r.query.watch !== 'true').length;
      api.dropWatches();
      // Added while no watch is open: only a resumed watch (or a relist) can learn of it.
      const id = containerIdFor('after-drop');
      api.upsert('pods', pod({ name: 'after-drop', namespace: 'shop', node: NODE, containerId: id, labels: { app: 'late' } }));
      const outs = await handleOne(stage, batchFor(NODE, 2, [id], 5));
      assert.equal(eventsIn(outs), 5);
      assert.equal(outs[0]!.containers[0]!.k8s?.podName, 'after-drop');
      assert.deepEqual(outs[0]!.containers[0]!.k8s?.podLabels, { app: 'late' });
      const podRequests = api.requestsMatching('GET', '/api/v1/pods');
      assert.equal(podRequests.filter((r) => r.query.watch !== 'true').length, listsBefore, 'a dropped watch must resume, not relist');
      const resumed = podRequests.filter((r) => r.query.watch === 'true').at(-1)!;
      assert.ok(Number(resumed.query.resourceVersion) > 0, 'the resumed watch names a resourceVersion');
      assert.equal(counterTotal(recorded, 'peregrine_enrichment_metadata_missing_total'), 0);
    } finally {
      await stage.close();
    }
  });

  it('relists after 410 Gone and sees pods added and deleted while its history was compacted away', async () => {
    const doomed = containerIdFor('doomed');
    api.upsert('pods', pod({ name: 'doomed', namespace: 'shop', node: NODE, containerId: doomed }));
    const { stage, recorded } = await startStage(api);
    try {
      assert.equal(stage.metadata.get(doomed)?.complete, true);
      api.dropWatches();
      api.remove('pods', 'shop', 'doomed');
      const fresh = containerIdFor('after-410');
      api.upsert('pods', pod({ name: 'after-410', namespace: 'shop', node: NODE, containerId: fresh }));
      api.compact();
      const outs = await handleOne(stage, batchFor(NODE, 3, [fresh, doomed], 3));
      assert.equal(eventsIn(outs), 6);
      assert.equal(outs[0]!.containers[0]!.k8s?.podName, 'after-410');
      // The deleted pod's container keeps its metadata through the exit grace period, marked as exited.
      assert.equal(outs[0]!.containers[1]!.k8s?.podName, 'doomed');
      assert.ok(stage.metadata.get(doomed)!.exitedAtMs > 0);
      assert.ok((recorded.counters.get('peregrine_enrichment_source_relists_total{source=kube,resource=pods,reason=gone}') ?? 0) >= 1);
    } finally {
      await stage.close();
    }
  });

  it('survives an API-server restart and picks up changes made while it was down', async () => {
    const { stage, recorded } = await startStage(api);
    try {
      const id = containerIdFor('while-down');
      const restarted = api.restart(300);
      api.upsert('pods', pod({ name: 'while-down', namespace: 'shop', node: NODE, containerId: id }));
      await restarted;
      const outs = await handleOne(stage, batchFor(NODE, 4, [id], 2));
      assert.equal(eventsIn(outs), 2);
      assert.equal(outs[0]!.containers[0]!.k8s?.podName, 'while-down');
      assert.ok(counterTotal(recorded, 'peregrine_enrichment_source_errors_total') >= 1, 'the outage was seen and retried');
    } finally {
      await stage.close();
    }
  });

  it('holds the first event of a container until its pod appears, within the wait', async () => {
    const { stage, recorded } = await startStage(api);
    try {
      const id = containerIdFor('slow-pod');
      // The pod exists but its container has no id yet, as while ContainerCreating.
      api.upsert('pods', pod({ name: 'slow-pod', namespace: 'shop', node: NODE }));
      const pending = handleOne(stage, batchFor(NODE, 5, [id], 4));
      setTimeout(() => api.modify('pods', 'shop', 'slow-pod', (p) => {
        Object.assign(p, pod({ name: 'slow-pod', namespace: 'shop', node: NODE, containerId: id }));
      }), 150);
      const outs = await pending;
      assert.equal(eventsIn(outs), 4);
      assert.equal(outs[0]!.containers[0]!.k8s?.podName, 'slow-pod');
      assert.equal(outs[0]!.containers[0]!.metadata, MetadataState.Complete);
      assert.equal(counterTotal(recorded, 'peregrine_enrichment_waits_total'), 1);
      assert.equal(counterTotal(recorded, 'peregrine_enrichment_metadata_missing_total'), 0);
    } finally {
      await stage.close();
    }
  });

  it('passes events whose pod comes after the wait, then counts the metadata as missing and late', async () => {
    const { stage, recorded } = await startStage(api, { metadataWaitMs: 100 });
    try {
      const id = containerIdFor('too-late');
      const first = await handleOne(stage, batchFor(NODE, 6, [id], 3));
      assert.equal(eventsIn(first), 3);
      assert.equal(first[0]!.containers[0]!.metadata, MetadataState.TimedOut);
      assert.equal(first[0]!.containers[0]!.k8s, null);
      assert.equal(first[0]!.cluster, 'prod-eu-1');
      api.upsert('pods', pod({ name: 'too-late', namespace: 'shop', node: NODE, containerId: id }));
      const until = Date.now() + 5000;
      while (!stage.metadata.get(id)?.complete && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      const second = await handleOne(stage, batchFor(NODE, 7, [id], 1));
      assert.equal(second[0]!.containers[0]!.k8s?.podName, 'too-late');
      assert.equal(counterTotal(recorded, 'peregrine_enrichment_metadata_missing_total'), 1);
      assert.equal(counterTotal(recorded, 'peregrine_enrichment_metadata_late_total'), 1);
    } finally {
      await stage.close();
    }
  });

  it('reports a pod only once its owners are listed, so the first event already names the Deployment', async () => {
    const id = containerIdFor('owned-late');
    api.upsert('replicasets', ownedBy('cart-66b9c', 'shop', { kind: 'Deployment', name: 'cart' }));
    api.upsert('pods', pod({ name: 'cart-66b9c-p2m4s', namespace: 'shop', node: NODE, containerId: id, owner: { kind: 'ReplicaSet', name: 'cart-66b9c' } }));
    api.listDelayMs.replicasets = 300;
    const stage = new EnrichmentStage();
    const { init } = stageInit(NODE, { cluster: 'c', sources: ['kube'], metadataWaitMs: 5000, kube: { apiServer: api.url, insecureSkipTlsVerify: true } });
    try {
      await stage.init(init);
      const [out] = await handleOne(stage, batchFor(NODE, 8, [id]));
      assert.equal(out!.containers[0]!.k8s?.workloadKind, 'Deployment');
      assert.equal(out!.containers[0]!.k8s?.workloadName, 'cart');
    } finally {
      delete api.listDelayMs.replicasets;
      await stage.close();
    }
  });

  it('asks for BOOKMARKs and resumes from the bookmarked resourceVersion after a drop', async () => {
    const { stage } = await startStage(api);
    try {
      // Changes this node's filtered watch never sees move the cluster's resourceVersion on.
      for (let i = 0; i < 3; i++) api.upsert('pods', pod({ name: `other-${i}`, namespace: 'shop', node: 'worker-9' }));
      const watches = () => api.requestsMatching('GET', '/api/v1/pods').filter((r) => r.query.watch === 'true');
      assert.equal(watches().at(-1)!.query.allowWatchBookmarks, 'true');
      const bookmarked = api.resourceVersion;
      const before = watches().length;
      api.bookmark();
      await new Promise((r) => setTimeout(r, 50));
      api.dropWatches();
      const until = Date.now() + 5000;
      while (watches().length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.equal(watches().at(-1)!.query.resourceVersion, bookmarked);
    } finally {
      await stage.close();
    }
  });
});
