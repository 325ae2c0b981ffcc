import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { centralKey, decodeMeta, encodeMeta } from '../../src/sources/central-nats.ts';
import { MetadataDecodeError } from '../../src/errors.ts';
import type { ContainerMeta } from '../../src/metadata.ts';

const meta: ContainerMeta = {
  name: 'app', image: 'nginx:1', imageRepository: 'nginx', imageTag: '1', imageDigest: '', imageId: 'sha256:1', privileged: true,
  mounts: [{ source: '/var/log', dest: '/logs', mode: '', rdwr: false, propagation: '' }], startTs: 1795860000123456789n,
  k8s: { nsName: 'ns', nsLabels: { a: 'b' }, podName: 'p', podUid: 'u', podIp: '10.0.0.1', podLabels: {}, workloadKind: 'Deployment', workloadName: 'd' },
  exited: false,
};

describe('central bucket records', () => {
  it('round-trip, nanosecond start time included', () => {
    assert.deepEqual(decodeMeta('k', encodeMeta(meta)), meta);
  });
  it('key by node token and container id', () => {
    assert.equal(centralKey('ip-10-0-0-1.ec2.internal', 'abc'), 'ip-10-0-0-1_ec2_internal.abc');
  });
  it('name the key and the field of a bad record', () => {
    const bad = (text: string) => () => decodeMeta('node.abc', new TextEncoder().encode(text));
    assert.throws(bad('{'), (e: unknown) => e instanceof MetadataDecodeError && e.key === 'node.abc' && /not JSON/.test(e.problem));
    assert.throws(bad('{"name":1}'), (e: unknown) => e instanceof MetadataDecodeError && /field name/.test(e.problem));
    const noMounts = JSON.stringify({ ...JSON.parse(new TextDecoder().decode(encodeMeta(meta))), mounts: null });
    assert.throws(bad(noMounts), (e: unknown) => e instanceof MetadataDecodeError && /mounts/.test(e.problem));
  });
});
