import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { metaFromCri, privilegedFromInfo, type CriContainerStatus, type CriSandboxStatus } from '../../../src/sources/cri/cri-model.ts';

const status: CriContainerStatus = {
  id: 'c'.repeat(64),
  metadata: { name: 'api' },
  state: 'CONTAINER_RUNNING',
  startedAt: '1795860000123456789',
  image: { image: 'quay.io/team/api:1.9' },
  imageRef: 'quay.io/team/api@sha256:99aa',
  labels: { 'io.kubernetes.container.name': 'api' },
  mounts: [
    { containerPath: '/etc/config', hostPath: '/var/lib/kubelet/pods/u/volumes/cfg', readonly: true, propagation: 'PROPAGATION_PRIVATE' },
    { containerPath: '/host', hostPath: '/', readonly: false, propagation: 'PROPAGATION_BIDIRECTIONAL' },
  ],
};

const sandbox: CriSandboxStatus = {
  id: 's'.repeat(64),
  metadata: { name: 'api-7c9d-abcde', uid: 'pod-uid-1', namespace: 'prod' },
  network: { ip: '10.1.2.3' },
  labels: { app: 'api', 'io.kubernetes.pod.name': 'api-7c9d-abcde', 'io.kubernetes.pod.namespace': 'prod', 'io.kubernetes.pod.uid': 'pod-uid-1' },
};

describe('metaFromCri', () => {
  it('maps name, image, digest, start time, mounts and the pod from the sandbox', () => {
    const m = metaFromCri(status, sandbox, undefined);
    assert.equal(m.name, 'api');
    assert.equal(m.imageRepository, 'quay.io/team/api');
    assert.equal(m.imageTag, '1.9');
    assert.equal(m.imageDigest, 'sha256:99aa');
    assert.equal(m.startTs, 1795860000123456789n);
    assert.deepEqual(m.mounts.map((x) => [x.source, x.dest, x.rdwr, x.propagation]), [
      ['/var/lib/kubelet/pods/u/volumes/cfg', '/etc/config', false, 'private'],
      ['/', '/host', true, 'rshared'],
    ]);
    assert.deepEqual(m.k8s, { nsName: 'prod', nsLabels: {}, podName: 'api-7c9d-abcde', podUid: 'pod-uid-1', podIp: '10.1.2.3', podLabels: { app: 'api' }, workloadKind: '', workloadName: '' });
    assert.equal(m.privileged, null);
    assert.equal(m.exited, false);
  });
  it('has no pod for a container outside Kubernetes, and marks exited containers', () => {
    const m = metaFromCri({ ...status, state: 'CONTAINER_EXITED' }, undefined, undefined);
    assert.equal(m.k8s, null);
    assert.equal(m.exited, true);
  });
});

describe('privilegedFromInfo', () => {
  it('reads containerd\'s verbose config and cri-o\'s flag', () => {
    assert.equal(privilegedFromInfo({ info: JSON.stringify({ config: { linux: { security_context: { privileged: true } } } }) }), true);
    assert.equal(privilegedFromInfo({ info: JSON.stringify({ config: { linux: {} } }) }), false);
    assert.equal(privilegedFromInfo({ info: JSON.stringify({ privileged: true }) }), true);
    assert.equal(privilegedFromInfo({ info: 'not json' }), null);
    assert.equal(privilegedFromInfo(undefined), null);
  });
});
