import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { containersOfPod, k8sInfoOf, workloadOf, type OwnerLookup } from '../../../src/sources/kube/pod-model.ts';
import { containerIdFor, pod as podFixture, type PodFixture } from '../../../../../tests/support/kube-fixtures.ts';

/** Fixtures are JSON as the API server sends it; the mapper reads it through client-node's types. */
const pod = (f: PodFixture): V1Pod => podFixture(f) as unknown as V1Pod;

const owners: OwnerLookup = {
  ownerOf: (kind, ns, name) => (kind === 'ReplicaSet' && ns === 'shop' && name === 'web-6d4b' ? { kind: 'Deployment', name: 'web' } : undefined),
};

describe('workloadOf', () => {
  it('follows ReplicaSet → Deployment, keeps a ReplicaSet with no known owner, and a bare pod is its own workload', () => {
    assert.deepEqual(workloadOf(pod({ name: 'web-6d4b-x', namespace: 'shop', node: 'n', owner: { kind: 'ReplicaSet', name: 'web-6d4b' } }), owners), { kind: 'Deployment', name: 'web' });
    assert.deepEqual(workloadOf(pod({ name: 'o-1', namespace: 'shop', node: 'n', owner: { kind: 'ReplicaSet', name: 'orphan' } }), owners), { kind: 'ReplicaSet', name: 'orphan' });
    assert.deepEqual(workloadOf(pod({ name: 'ds-1', namespace: 'shop', node: 'n', owner: { kind: 'DaemonSet', name: 'agent' } }), owners), { kind: 'DaemonSet', name: 'agent' });
    assert.deepEqual(workloadOf(pod({ name: 'solo', namespace: 'shop', node: 'n' }), owners), { kind: 'Pod', name: 'solo' });
  });
});

describe('containersOfPod', () => {
  it('maps regular, init and ephemeral statuses with an id; skips containers not started', () => {
    const p = pod({ name: 'p', namespace: 'shop', node: 'n', containerId: containerIdFor('main'), runtime: 'cri-o' });
    p.spec!.initContainers = [{ name: 'init', image: 'busybox:1.36' }];
    p.status!.initContainerStatuses = [{ name: 'init', image: 'busybox:1.36', imageID: '', containerID: `cri-o://${containerIdFor('init')}`, ready: false, restartCount: 0, state: { terminated: { exitCode: 0, startedAt: new Date('2026-11-28T09:59:00Z') } } }];
    p.status!.ephemeralContainerStatuses = [{ name: 'debug', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { waiting: {} } }];
    const cs = containersOfPod(p, k8sInfoOf(p, {}, owners));
    assert.deepEqual(cs.map((c) => [c.meta.name, c.runtime, c.id === containerIdFor(c.meta.name === 'app' ? 'main' : 'init'), c.meta.exited]), [
      ['init', 'cri-o', true, true],
      ['app', 'cri-o', true, false],
    ]);
    assert.equal(cs[0]!.meta.startTs, BigInt(Date.parse('2026-11-28T09:59:00Z')) * 1_000_000n);
    assert.equal(cs[0]!.meta.privileged, false);
    assert.equal(cs[0]!.meta.imageTag, '1.36');
  });
  it('reads privileged from the container securityContext, and host paths of mounts', () => {
    const p = pod({ name: 'p', namespace: 'shop', node: 'n', containerId: containerIdFor('x'), privileged: true });
    const [c] = containersOfPod(p, k8sInfoOf(p, {}, owners));
    assert.equal(c!.meta.privileged, true);
    assert.deepEqual(c!.meta.mounts, [
      { source: 'data', dest: '/data', mode: '', rdwr: true, propagation: '' },
      { source: '/var/log', dest: '/var/log/host', mode: '', rdwr: false, propagation: '' },
    ]);
  });
});
