import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNatsConfig, parseStreamsConfig } from '../src/config.ts';
import { BusConfigError } from '../src/errors.ts';

test('nats config: servers as a list or comma string, TLS files, defaults', () => {
  assert.deepEqual(parseNatsConfig({ servers: 'nats://a:4222, nats://b:4222' }).servers, ['nats://a:4222', 'nats://b:4222']);
  const c = parseNatsConfig({ url: 'tls://n:4222', tls: { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' }, credsFile: '/x.creds' });
  assert.deepEqual(c.tls, { ca: '/ca.pem', cert: '/c.pem', key: '/k.pem' });
  assert.equal(c.credsFile, '/x.creds');
  assert.equal(c.maxReconnectAttempts, -1);
  assert.deepEqual(parseNatsConfig(undefined).servers, ['nats://127.0.0.1:4222']);
});

test('nats config errors name the key', () => {
  const bad: Array<[unknown, string]> = [
    [{ servers: 42 }, 'nats.servers'],
    [{ user: 'u' }, 'nats.user'],
    [{ tls: { cert: '/c.pem' } }, 'nats.tls'],
    [{ ackWaitMs: 'soon' }, 'nats.ackWaitMs'],
    ['nats://x', 'nats'],
  ];
  for (const [raw, key] of bad) {
    assert.throws(() => parseNatsConfig(raw), (e: unknown) => e instanceof BusConfigError && e.key === key, JSON.stringify(raw));
  }
  assert.throws(() => parseStreamsConfig({ events: { maxBytes: 'lots' } }), (e: unknown) => e instanceof BusConfigError && e.key === 'streams.events.maxBytes');
});
