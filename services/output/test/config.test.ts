import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOutputConfig } from '../src/config.ts';
import { OutputConfigError } from '../src/errors.ts';

const fails = (raw: unknown, path: string) =>
  assert.throws(() => parseOutputConfig(raw), (e: unknown) => e instanceof OutputConfigError && e.path === path, path);

test('defaults: stdout text, no flood control, spool backoff 500 ms to 30 s', () => {
  const c = parseOutputConfig(undefined);
  assert.deepEqual(c.destinations.map((d) => [d.name, d.type]), [['stdout', 'stdout']]);
  assert.deepEqual(c.dedup, { windowSeconds: 0, keyFields: [] });
  assert.equal(c.rateLimit.perRule, 0);
  assert.deepEqual(c.retry, { initialMs: 500, maxMs: 30_000, maxQueued: 1_000_000 });
});

test('global custom fields merge under each destination’s own', () => {
  const c = parseOutputConfig({ customFields: { cluster: 'c1', environment: 'prod' },
    destinations: [{ type: 'stdout', customFields: { environment: 'staging' } }] });
  assert.deepEqual(c.destinations[0]!.customFields, { cluster: 'c1', environment: 'staging' });
});

test('bad values are errors naming the key', () => {
  fails({ destinations: {} }, 'output.destinations');
  fails({ destinations: [{ type: 'pager' }] }, 'output.destinations[0].type');
  fails({ destinations: [{ type: 'stdout' }, { type: 'stdout' }] }, 'output.destinations[1].name');
  fails({ destinations: [{ type: 'file', name: 'a b' }] }, 'output.destinations[0].name');
  fails({ dedup: { windowSeconds: -1 } }, 'output.dedup.windowSeconds');
  fails({ rateLimit: { perRule: 'many' } }, 'output.rateLimit.perRule');
  fails({ customFields: { cluster: { a: 1 } } }, 'output.customFields.cluster');
});
