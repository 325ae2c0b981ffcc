import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../src/config.ts';
import { EnrichmentConfigError } from '../src/errors.ts';

describe('parseConfig', () => {
  it('defaults: no sources, cluster "default", half a second of wait', () => {
    const c = parseConfig({});
    assert.deepEqual(c.sources, []);
    assert.equal(c.cluster, 'default');
    assert.equal(c.metadataWaitMs, 500);
    assert.equal(c.kube.watchOwners, true);
    assert.deepEqual(c.kube.backoff, { baseMs: 250, maxMs: 30_000 });
  });
  it('takes numbers and booleans given as strings (env overrides)', () => {
    const c = parseConfig({ metadataWaitMs: '250', kube: { watchOwners: 'false' }, central: { publish: 'true' } });
    assert.equal(c.metadataWaitMs, 250);
    assert.equal(c.kube.watchOwners, false);
    assert.equal(c.central.publish, true);
  });
  it('names the key of a bad value', () => {
    assert.throws(() => parseConfig({ sources: ['kube', 'etcd'] }), (e: unknown) => e instanceof EnrichmentConfigError && e.key === 'sources[1]');
    assert.throws(() => parseConfig({ kube: { pageSize: 0 } }), (e: unknown) => e instanceof EnrichmentConfigError && e.key === 'kube.pageSize');
    assert.throws(() => parseConfig({ cluster: 7 }), (e: unknown) => e instanceof EnrichmentConfigError && e.key === 'cluster');
    assert.throws(() => parseConfig({ kube: 'yes' }), (e: unknown) => e instanceof EnrichmentConfigError && e.key === 'kube');
  });
});
