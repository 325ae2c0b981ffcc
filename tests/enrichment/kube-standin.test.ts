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
  await stage.init(init);
  await Promise.all(['pods', 'namespaces', 'replicasets', 'jobs'].map((r) => api.waitForWatches(r as 'pods')));
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
});
