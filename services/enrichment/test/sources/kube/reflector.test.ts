import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, objectKey } from '../../../src/sources/kube/reflector.ts';

describe('backoffDelay', () => {
  const b = { baseMs: 100, maxMs: 5000 };
  it('doubles per attempt within [half, full] of the ceiling, capped at maxMs', () => {
    assert.equal(backoffDelay(b, 0, () => 0), 50);
    assert.equal(backoffDelay(b, 0, () => 1), 100);
    assert.equal(backoffDelay(b, 3, () => 1), 800);
    assert.equal(backoffDelay(b, 20, () => 1), 5000);
    assert.equal(backoffDelay(b, 1000, () => 0), 2500);
  });
  it('spreads retries of many clients (jitter)', () => {
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(b, 4)));
    assert.ok(seen.size > 10, `only ${seen.size} distinct delays`);
    for (const d of seen) assert.ok(d >= 800 && d <= 1600, String(d));
  });
});

describe('objectKey', () => {
  it('is namespace/name, or name for cluster-scoped objects', () => {
    assert.equal(objectKey({ metadata: { name: 'p', namespace: 'ns' } }), 'ns/p');
    assert.equal(objectKey({ metadata: { name: 'ns' } }), 'ns');
  });
});
