import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseContainerId } from '../src/container-id.ts';

describe('parseContainerId', () => {
  const id = 'a'.repeat(64);
  it('maps the three runtime schemes Kubernetes reports', () => {
    assert.deepEqual(parseContainerId(`containerd://${id}`), { runtime: 'containerd', id });
    assert.deepEqual(parseContainerId(`cri-o://${id}`), { runtime: 'cri-o', id });
    assert.deepEqual(parseContainerId(`docker://${id}`), { runtime: 'docker', id });
  });
  it('keeps an unknown scheme as the runtime name', () => {
    assert.deepEqual(parseContainerId(`podman://${id}`), { runtime: 'podman', id });
  });
  it('has no id for a container not started yet, or without a scheme', () => {
    assert.equal(parseContainerId(undefined), undefined);
    assert.equal(parseContainerId(''), undefined);
    assert.equal(parseContainerId(id), undefined);
    assert.equal(parseContainerId('containerd://'), undefined);
  });
});
