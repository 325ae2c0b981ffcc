/**
 * The kube-apiserver stand-in itself, driven by @kubernetes/client-node as real clients drive an API server: paged
 * lists with field selectors, and the pod actions (delete, label patch, eviction) other stages take, each recorded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { kubeConfigOf, parseConfig } from '@peregrine/enrichment';
import { KubeApiServerStandIn } from '../support/kube-apiserver-standin.ts';
import { pod } from '../support/kube-fixtures.ts';

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
});
