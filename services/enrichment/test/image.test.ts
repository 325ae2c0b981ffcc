import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { digestOf, parseImageRef } from '../src/image.ts';

describe('parseImageRef', () => {
  const cases: Array<[string, string, string, string]> = [
    ['nginx', 'nginx', '', ''],
    ['nginx:1.25', 'nginx', '1.25', ''],
    ['docker.io/library/nginx:1.25.3', 'docker.io/library/nginx', '1.25.3', ''],
    ['registry.example.com:5000/team/app', 'registry.example.com:5000/team/app', '', ''],
    ['registry.example.com:5000/team/app:2.0', 'registry.example.com:5000/team/app', '2.0', ''],
    ['ghcr.io/o/app:v1@sha256:abcd', 'ghcr.io/o/app', 'v1', 'sha256:abcd'],
    ['ghcr.io/o/app@sha256:abcd', 'ghcr.io/o/app', '', 'sha256:abcd'],
    ['', '', '', ''],
  ];
  for (const [ref, repository, tag, digest] of cases) {
    it(`splits ${JSON.stringify(ref)}`, () => assert.deepEqual(parseImageRef(ref), { repository, tag, digest }));
  }
});

describe('digestOf', () => {
  it('reads the digest of a repo@digest image id, a bare sha256 id, and nothing else', () => {
    assert.equal(digestOf('docker.io/library/nginx@sha256:2bdc'), 'sha256:2bdc');
    assert.equal(digestOf('sha256:77aa'), 'sha256:77aa');
    assert.equal(digestOf('nginx:1.25'), '');
  });
});
