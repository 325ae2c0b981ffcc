/**
 * Central mode: one cluster-wide watcher (against the kube-apiserver stand-in) writes every node's container
 * metadata into a JetStream KV bucket on a real nats-server; two node enrichers read only their own node's keys and
 * never talk to the API server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { EnrichmentStage, centralKey, decodeMeta, parseConfig } from '@peregrine/enrichment';
import { startNats, type NatsServer } from '../support/nats.ts';
import { KubeApiServerStandIn } from '../support/kube-apiserver-standin.ts';
import { containerIdFor, namespace, ownedBy, pod } from '../support/kube-fixtures.ts';
import { counterTotal, handleOne, stageInit } from '../../services/enrichment/test/harness.ts';
import { batchFor } from '../../services/enrichment/test/batch-builder.ts';
import { CentralPublisher } from '../../services/enrichment/src/sources/central-nats.ts';

describe('central mode: one watcher through NATS KV, two node enrichers (kube-apiserver stand-in)', () => {
  let nats: NatsServer;
  let api: KubeApiServerStandIn;
  let publisher: CentralPublisher;
  const bucket = 'peregrine_k8s_meta_test';

  before(async () => {
    nats = await startNats();
    api = await KubeApiServerStandIn.start();
    api.upsert('namespaces', namespace('web', { env: 'prod' }));
    api.upsert('jobs', ownedBy('nightly-29001440', 'web', { kind: 'CronJob', name: 'nightly' }));
    api.upsert('pods', pod({ name: 'front-a', namespace: 'web', node: 'node-a', containerId: containerIdFor('front-a'), labels: { app: 'front' } }));
    api.upsert('pods', pod({ name: 'front-b', namespace: 'web', node: 'node-b', containerId: containerIdFor('front-b'), labels: { app: 'front' } }));
    const cfg = parseConfig({
      kube: { apiServer: api.url, insecureSkipTlsVerify: true, backoffBaseMs: 20, backoffMaxMs: 200 },
      central: { url: nats.url, bucket },
    });
    publisher = new CentralPublisher(cfg.kube, cfg.central);
    await publisher.start();
    await publisher.flushed();
  });
  after(async () => {
    await publisher?.stop();
    await api?.close();
    await nats?.dispose();
  });

  async function nodeEnricher(node: string) {
    const stage = new EnrichmentStage();
    const { init, recorded } = stageInit(node, { cluster: 'edge-1', sources: ['central'], metadataWaitMs: 8000, central: { url: nats.url, bucket } });
    await stage.init(init);
    await stage.sourcesSynced();
    return { stage, recorded };
  }

  it('each node enricher gets exactly its own node\'s pods, and later changes, from the bucket', async () => {
    const a = await nodeEnricher('node-a');
    const b = await nodeEnricher('node-b');
    const apiRequestsBefore = api.requests.length;
    try {
      const [outA] = await handleOne(a.stage, batchFor('node-a', 1, [containerIdFor('front-a')]));
      const [outB] = await handleOne(b.stage, batchFor('node-b', 1, [containerIdFor('front-b')]));
      assert.equal(outA!.containers[0]!.k8s?.podName, 'front-a');
      assert.equal(outB!.containers[0]!.k8s?.podName, 'front-b');
      assert.deepEqual(outA!.containers[0]!.k8s?.nsLabels, { 'kubernetes.io/metadata.name': 'web', env: 'prod' });
      assert.equal(outA!.cluster, 'edge-1');
      // Node A's enricher holds nothing of node B.
      assert.equal(a.stage.metadata.get(containerIdFor('front-b')), undefined);

      // A pod scheduled later, owned by a CronJob's Job, reaches node B while its first event waits.
      const jobId = containerIdFor('nightly');
      const pending = handleOne(b.stage, batchFor('node-b', 2, [jobId], 3));
      api.upsert('pods', pod({ name: 'nightly-29001440-7xk2p', namespace: 'web', node: 'node-b', containerId: jobId, owner: { kind: 'Job', name: 'nightly-29001440' } }));
      const [outJob] = await pending;
      assert.equal(outJob!.events.length, 3);
      assert.equal(outJob!.containers[0]!.k8s?.podName, 'nightly-29001440-7xk2p');
      assert.equal(outJob!.containers[0]!.k8s?.workloadKind, 'CronJob');
      assert.equal(outJob!.containers[0]!.k8s?.workloadName, 'nightly');

      // A deleted pod's container is marked exited on its node (kept for the grace period).
      api.remove('pods', 'web', 'front-a');
      const until = Date.now() + 5000;
      while (!(a.stage.metadata.get(containerIdFor('front-a'))!.exitedAtMs > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.ok(a.stage.metadata.get(containerIdFor('front-a'))!.exitedAtMs > 0);

      assert.equal(api.requests.length, apiRequestsBefore, 'node enrichers must not call the API server');
      assert.equal(counterTotal(a.recorded, 'peregrine_enrichment_metadata_missing_total') + counterTotal(b.recorded, 'peregrine_enrichment_metadata_missing_total'), 0);
    } finally {
      await a.stage.close();
      await b.stage.close();
    }
  });

  it('a node with no pods yet is synced at once, and passes its events with nothing to add', async () => {
    const empty = await nodeEnricher('node-empty');
    try {
      const [out] = await handleOne(empty.stage, batchFor('node-empty', 1, []));
      assert.equal(out!.cluster, 'edge-1');
    } finally {
      await empty.stage.close();
    }
  });

  it('keeps each container under <node>.<id> in the bucket, decodable', async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const kv = await nc.jetstream().views.kv(bucket);
      const entry = await kv.get(centralKey('node-b', containerIdFor('front-b')));
      assert.ok(entry);
      const meta = decodeMeta(entry.key, entry.value);
      assert.equal(meta.k8s?.podName, 'front-b');
      assert.equal(meta.imageRepository, 'docker.io/library/nginx');
      assert.equal(meta.startTs, 1_795_860_000_000_000_000n);
    } finally {
      await nc.close();
    }
  });

  it('catches up after a NATS restart: a pod added while the server was down reaches its node', async () => {
    const a = await nodeEnricher('node-a');
    try {
      await nats.stop();
      const id = containerIdFor('during-outage');
      api.upsert('pods', pod({ name: 'during-outage', namespace: 'web', node: 'node-a', containerId: id }));
      await new Promise((r) => setTimeout(r, 200));
      await nats.restart();
      const outs = await handleOne(a.stage, batchFor('node-a', 9, [id], 2));
      assert.equal(outs[0]!.events.length, 2);
      assert.equal(outs[0]!.containers[0]!.k8s?.podName, 'during-outage');
    } finally {
      await a.stage.close();
    }
  });

  it('a restarted watcher deletes keys left for containers that no longer exist', async () => {
    const nc = await connect({ servers: nats.url });
    const second = new CentralPublisher(
      parseConfig({ kube: { apiServer: api.url, insecureSkipTlsVerify: true } }).kube,
      parseConfig({ central: { url: nats.url, bucket } }).central,
    );
    try {
      const kv = await nc.jetstream().views.kv(bucket);
      const stale = centralKey('node-gone', containerIdFor('gone'));
      await kv.put(stale, new TextEncoder().encode('{}'));
      await second.start();
      await second.flushed();
      assert.equal((await kv.get(stale))?.operation, 'DEL');
      assert.equal((await kv.get(centralKey('node-b', containerIdFor('front-b'))))?.operation, 'PUT');
    } finally {
      await second.stop();
      await nc.close();
    }
  });

  it('central.publish in a stage\'s config runs the watcher in that instance too', async () => {
    const id = containerIdFor('front-c');
    api.upsert('pods', pod({ name: 'front-c', namespace: 'web', node: 'node-c', containerId: id }));
    const stage = new EnrichmentStage();
    const { init } = stageInit('node-c', {
      sources: ['central'], metadataWaitMs: 5000,
      kube: { apiServer: api.url, insecureSkipTlsVerify: true },
      central: { url: nats.url, bucket: 'peregrine_k8s_meta_publish_test', publish: true },
    });
    try {
      await stage.init(init);
      const [out] = await handleOne(stage, batchFor('node-c', 1, [id]));
      assert.equal(out!.containers[0]!.k8s?.podName, 'front-c');
    } finally {
      await stage.close();
    }
  });
});
