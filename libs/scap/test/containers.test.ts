import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerFromCgroups, containerFromJson } from '../src/containers.ts';

const ID = '3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e';

test('container ids from the cgroup layouts of docker, containerd, cri-o and Kubernetes cgroupfs', () => {
  assert.deepEqual(containerFromCgroups([`cpu=/docker/${ID}`]), { id: ID, type: 'docker' });
  assert.deepEqual(containerFromCgroups([`0::/system.slice/docker-${ID}.scope`]), { id: ID, type: 'docker' });
  assert.deepEqual(containerFromCgroups([
    `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1_2.slice/cri-containerd-${ID}.scope`,
  ]), { id: ID, type: 'containerd' });
  assert.deepEqual(containerFromCgroups([`memory=/kubepods/besteffort/pod0e1a/${ID}`]), { id: ID, type: 'cri' });
  assert.deepEqual(containerFromCgroups([`0::/machine.slice/crio-${ID}.scope`]), { id: ID, type: 'cri-o' });
  assert.equal(containerFromCgroups(['cpuset=/', 'cpu=/user.slice', '0::/user.slice/user-1000.slice/session-1.scope']), null);
  // a 64-character name that is not hex is not an id
  assert.equal(containerFromCgroups([`cpu=/docker/${'z'.repeat(64)}`]), null);
});

test("a container event's JSON gives the metadata; bad JSON is ignored", () => {
  const info = containerFromJson('{"container":{"id":"9dbcbd0c435f","type":0,"name":"epic_cray","image":"nginx:latest",'
    + '"imagerepo":"nginx","imagetag":"latest","privileged":true,"Mounts":[{"Source":"/h","Destination":"/c","Mode":"","RW":true,"Propagation":"rprivate"}]}}');
  assert.equal(info?.id, '9dbcbd0c435f');
  assert.equal(info?.name, 'epic_cray');
  assert.equal(info?.image, 'nginx:latest');
  assert.equal(info?.imageRepository, 'nginx');
  assert.equal(info?.privileged, true);
  assert.deepEqual(info?.mounts, [{ source: '/h', dest: '/c', mode: '', rdwr: true, propagation: 'rprivate' }]);
  assert.equal(containerFromJson('{"container":'), null);
  assert.equal(containerFromJson('{"other":1}'), null);
});
