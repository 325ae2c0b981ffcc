import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataCache } from '../src/cache.ts';
import type { ContainerMeta } from '../src/metadata.ts';

function meta(over: Partial<ContainerMeta> = {}): ContainerMeta {
  return {
    name: '', image: '', imageRepository: '', imageTag: '', imageDigest: '', imageId: '', privileged: null, mounts: [],
    startTs: 0n, k8s: null, exited: false, ...over,
  };
}

function cache(over: { maxEntries?: number; now?: () => number; complete?: string[]; onLate?: (id: string) => void } = {}) {
  return new MetadataCache({
    maxEntries: over.maxEntries ?? 100,
    exitGraceMs: 1000,
    completeSources: new Set(over.complete ?? ['kube']),
    sourceOrder: ['kube', 'cri'],
    now: over.now,
    onLate: over.onLate,
  });
}

const k8s = { nsName: 'ns', nsLabels: {}, podName: 'p', podUid: 'u', podIp: '', podLabels: {}, workloadKind: 'Pod', workloadName: 'p' };

describe('MetadataCache', () => {
  it('merges sources field by field, the first in source order winning', () => {
    const c = cache();
    c.put('cri', 'x', meta({ name: 'from-cri', image: 'busybox:1', privileged: true, startTs: 5n }));
    assert.equal(c.get('x')!.complete, false, 'CRI alone is partial when the kube source is expected');
    c.put('kube', 'x', meta({ name: 'from-kube', k8s }));
    const e = c.get('x')!;
    assert.equal(e.complete, true);
    assert.equal(e.merged!.name, 'from-kube');
    assert.equal(e.merged!.image, 'busybox:1');
    assert.equal(e.merged!.privileged, true);
    assert.equal(e.merged!.startTs, 5n);
    assert.equal(e.merged!.k8s, k8s);
  });

  it('wakes a waiter when metadata arrives, and times out otherwise', async () => {
    const c = cache();
    const e = c.touch('x', 1);
    const t0 = Date.now();
    setTimeout(() => c.put('kube', 'x', meta({ k8s })), 30);
    await c.waitForComplete([e], 5000);
    assert.ok(Date.now() - t0 < 2000);
    const other = c.touch('y', 1);
    const t1 = Date.now();
    await c.waitForComplete([other], 50);
    assert.ok(Date.now() - t1 >= 45);
    assert.equal(other.waiters?.length ?? 0, 0, 'a timed-out waiter is removed');
  });

  it('reports late metadata once for a container that already passed without it', () => {
    const late: string[] = [];
    const c = cache({ onLate: (id) => late.push(id) });
    c.touch('x', 1).missed = true;
    c.put('kube', 'x', meta({ k8s }));
    c.put('kube', 'x', meta({ k8s, name: 'again' }));
    assert.deepEqual(late, ['x']);
  });

  it('keeps an exited container through the grace period, then evicts it', () => {
    let now = 10_000;
    const c = cache({ now: () => now });
    c.put('kube', 'x', meta({ k8s }));
    c.drop('kube', 'x');
    assert.equal(c.get('x')!.merged!.exited, true);
    assert.equal(c.get('x')!.merged!.k8s, k8s, 'metadata stays for late events');
    now += 999;
    assert.equal(c.sweep(), 0);
    now += 2;
    assert.equal(c.sweep(), 1);
    assert.equal(c.get('x'), undefined);
  });

  it('stays within maxEntries, evicting the least recently used', () => {
    const c = cache({ maxEntries: 3 });
    for (const id of ['a', 'b', 'c']) c.touch(id, 1);
    c.touch('a', 2);
    c.touch('d', 3);
    assert.equal(c.size, 3);
    assert.equal(c.get('b'), undefined);
    assert.ok(c.get('a') && c.get('c') && c.get('d'));
  });

  it('with no Kubernetes source configured, any source completes an entry', () => {
    const c = cache({ complete: [] });
    c.put('cri', 'x', meta({ name: 'n' }));
    assert.equal(c.get('x')!.complete, true);
  });
});
