/**
 * The kube-apiserver stand-in itself, driven by @kubernetes/client-node as real clients drive an API server: paged
 * lists with field selectors, and the pod actions (delete, label patch, eviction) other stages take, each recorded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { EnrichmentStage, kubeConfigOf, parseConfig } from '@peregrine/enrichment';
import { KubeApiServerStandIn } from '../support/kube-apiserver-standin.ts';
import { containerIdFor, pod } from '../support/kube-fixtures.ts';
import { handleOne, stageInit } from '../../services/enrichment/test/harness.ts';
import { batchFor } from '../../services/enrichment/test/batch-builder.ts';

describe('kube-apiserver stand-in', () => {
  let api: KubeApiServerStandIn;
  let core: CoreV1Api;
  before(async () => {
    api = await KubeApiServerStandIn.start();
    core = kubeConfigOf(parseConfig({ kube: { apiServer: api.url, insecureSkipTlsVerify: true } }).kube).makeApiClient(CoreV1Api);
    for (let i = 0; i < 5; i++) api.upsert('pods', pod({ name: `p${i}`, namespace: 'ns', node: i % 2 ? 'odd' : 'even' }));
  });
  after(async () => { await api.close(); });

  it('pages a field-selected list with limit/continue at one resourceVersion', async () => {
    const first = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=even', limit: 2 });
    assert.deepEqual(first.items.map((p) => p.metadata?.name), ['p0', 'p2']);
    assert.ok(first.metadata?._continue);
    const second = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=even', limit: 2, _continue: first.metadata?._continue });
    assert.deepEqual(second.items.map((p) => p.metadata?.name), ['p4']);
    assert.equal(second.metadata?.resourceVersion, first.metadata?.resourceVersion);
    await assert.rejects(core.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running' }), (e: { code?: number }) => e.code === 400);
  });

  it('records and applies a label patch, an eviction and a delete', async () => {
    await core.patchNamespacedPod({ name: 'p1', namespace: 'ns', body: { metadata: { labels: { quarantine: 'true' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    assert.deepEqual(api.get('pods', 'ns', 'p1')!.metadata.labels, { quarantine: 'true' });
    await core.createNamespacedPodEviction({ name: 'p2', namespace: 'ns', body: { metadata: { name: 'p2', namespace: 'ns' } } });
    assert.equal(api.get('pods', 'ns', 'p2'), undefined);
    await core.deleteNamespacedPod({ name: 'p3', namespace: 'ns' });
    assert.equal(api.get('pods', 'ns', 'p3'), undefined);
    assert.deepEqual(api.requestsMatching('PATCH', '/api/v1/namespaces/ns/pods').map((r) => [r.path, JSON.parse(r.body)]), [
      ['/api/v1/namespaces/ns/pods/p1', { metadata: { labels: { quarantine: 'true' } } }],
    ]);
    assert.deepEqual(api.requestsMatching('POST', '/api/v1/namespaces/ns/pods').map((r) => r.path), ['/api/v1/namespaces/ns/pods/p2/eviction']);
    assert.deepEqual(api.requestsMatching('DELETE', '/api/v1/namespaces/ns/pods').map((r) => r.path), ['/api/v1/namespaces/ns/pods/p3']);
    await assert.rejects(core.deleteNamespacedPod({ name: 'p3', namespace: 'ns' }), (e: { code?: number }) => e.code === 404);
  });

  it('over TLS with a bearer token: the client trusts only the given CA, needs the token, and the stage enriches', async () => {
    const secure = await KubeApiServerStandIn.start({ tls: true, token: 'sa-token-123' });
    const stage = new EnrichmentStage();
    try {
      const id = containerIdFor('tls-pod');
      secure.upsert('pods', pod({ name: 'tls-pod', namespace: 'ns', node: 'n', containerId: id }));
      const client = (token: string | undefined) =>
        kubeConfigOf(parseConfig({ kube: { apiServer: secure.url, caFile: secure.caFile, token } }).kube).makeApiClient(CoreV1Api);
      const listed = await client('sa-token-123').listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=n' });
      assert.deepEqual(listed.items.map((p) => p.metadata?.name), ['tls-pod']);
      await assert.rejects(client('wrong').listPodForAllNamespaces({}), (e: { code?: number }) => e.code === 401);
      const untrusted = kubeConfigOf(parseConfig({ kube: { apiServer: secure.url, token: 'sa-token-123' } }).kube).makeApiClient(CoreV1Api);
      await assert.rejects(untrusted.listPodForAllNamespaces({}), /self[- ]signed|certificate/i);

      const { init, recorded } = stageInit('n', { sources: ['kube'], metadataWaitMs: 5000, kube: { apiServer: secure.url, caFile: secure.caFile, token: 'sa-token-123' } });
      await stage.init(init);
      const [out] = await handleOne(stage, batchFor('n', 1, [id]));
      assert.equal(out!.containers[0]!.k8s?.podName, 'tls-pod');
      // The watch runs over the same TLS and token: a pod added now reaches the stage.
      const later = containerIdFor('tls-later');
      secure.upsert('pods', pod({ name: 'tls-later', namespace: 'ns', node: 'n', containerId: later }));
      const [out2] = await handleOne(stage, batchFor('n', 2, [later]));
      assert.equal(out2!.containers[0]!.k8s?.podName, 'tls-later');
      assert.equal(recorded.counters.get('peregrine_enrichment_source_errors_total{source=kube,resource=pods}') ?? 0, 0);
    } finally {
      await stage.close();
      await secure.close();
    }
  });
});
