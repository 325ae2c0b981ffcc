import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerFromCgroupPath, containerFromProcCgroup } from '../src/container-id.ts';

const ID = '2fb8a94f3d254d900139e117d4b40a6bd63405f7f4cca465d746ebe3eecc012a';

describe('container id from a cgroup path', () => {
  const cases: [string, string, string | null][] = [
    ['docker cgroupfs', `/docker/${ID}`, 'docker'],
    ['docker systemd', `/system.slice/docker-${ID}.scope`, 'docker'],
    ['containerd kubepods cgroupfs', `/kubepods/besteffort/pod0c8e1d5e-5b6d-4b8c-9d4c-0e0f3c2c1a11/${ID}`, 'containerd'],
    ['containerd kubepods systemd', `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0c8e1d5e_5b6d.slice/cri-containerd-${ID}.scope`, 'containerd'],
    ['cri-o systemd', `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podab12.slice/crio-${ID}.scope`, 'cri-o'],
    ['podman', `/machine.slice/libpod-${ID}.scope`, 'podman'],
    ['podman cgroupfs', `/libpod_parent/libpod-${ID}`, 'podman'],
    ['host root', '/', null],
    ['host service', '/system.slice/ssh.service', null],
    ['a 63-hex name is no id', `/docker/${ID.slice(1)}`, null],
  ];
  for (const [name, path, type] of cases) {
    it(name, () => {
      const ref = containerFromCgroupPath(path);
      if (type === null) assert.equal(ref, null);
      else assert.deepEqual(ref, { id: ID, type });
    });
  }

  it('reads a cgroup v1 /proc/<pid>/cgroup when the v2 line is the root', () => {
    const text = `12:pids:/kubepods/besteffort/podx/${ID}\n4:memory:/kubepods/besteffort/podx/${ID}\n0::/\n`;
    assert.deepEqual(containerFromProcCgroup(text), { id: ID, type: 'containerd' });
  });

  it('prefers the cgroup v2 line', () => {
    const text = `4:memory:/process_api/abc\n0::/system.slice/docker-${ID}.scope\n`;
    assert.deepEqual(containerFromProcCgroup(text), { id: ID, type: 'docker' });
  });

  it('a host process has no container', () => {
    assert.equal(containerFromProcCgroup('4:memory:/process_api/625a88fe\n0::/\n'), null);
  });
});
