import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, TraceFlags, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { connect } from 'nats';
import { startNats, type NatsServer } from '../../../tests/support/nats.ts';
import { NatsBus } from '../src/nats-bus.ts';
import { parseNatsConfig, parseStreamsConfig } from '../src/config.ts';
import { ALERTS_STREAM, EVENTS_STREAM } from '../src/subjects.ts';
import type { Consumption, DurableMessage } from '../src/bus.ts';

propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (m: DurableMessage) => new TextDecoder().decode(m.data);

let nats: NatsServer;
const open: NatsBus[] = [];
before(async () => { nats = await startNats(); });
after(async () => {
  for (const b of open) await b.close();
  await nats.dispose();
});

async function bus(streams: Record<string, unknown> = {}): Promise<NatsBus> {
  const b = await NatsBus.connect(parseNatsConfig({ servers: nats.url }), parseStreamsConfig(streams));
  open.push(b);
  return b;
}

async function collect(c: Consumption, n: number, into: DurableMessage[] = []): Promise<DurableMessage[]> {
  for await (const m of c) {
    into.push(m);
    m.ack();
    if (into.length >= n) break;
  }
  return into;
}

const consumeOpts = (durable: string, filter: string) => ({ durable, filter, maxBytes: 1 << 20, maxAckPending: 64 });

test('streams are created with the configured retention and a duplicate window', async () => {
  const b = await bus({ events: { maxAgeSeconds: 600, maxBytes: 10_000_000 }, alerts: { maxAgeSeconds: 86_400 } });
  const jsm = await b.nc.jetstreamManager();
  const ev = await jsm.streams.info(EVENTS_STREAM);
  assert.deepEqual(ev.config.subjects, ['events.>']);
  assert.equal(ev.config.max_age, 600 * 1e9);
  assert.equal(ev.config.max_bytes, 10_000_000);
  assert.equal(ev.config.duplicate_window, 120 * 1e9);
  const al = await jsm.streams.info(ALERTS_STREAM);
  assert.deepEqual(al.config.subjects, ['falco.>']);
  assert.equal(al.config.max_age, 86_400 * 1e9);
});

test('publish with the same Nats-Msg-Id is stored once; order and trace context survive the trip', async () => {
  const b = await bus();
  const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
  await b.publish('events.raw.dedup', bytes('a'), { msgId: 'cap.dedup.1', context: ctx });
  await b.publish('events.raw.dedup', bytes('a-again'), { msgId: 'cap.dedup.1', context: ctx });
  await b.publish('events.raw.dedup', bytes('b'), { msgId: 'cap.dedup.2' });
  const c = await b.consume(consumeOpts('dedup', 'events.raw.dedup'));
  const got = await collect(c, 2);
  c.stop();
  assert.deepEqual(got.map(text), ['a', 'b']);
  assert.equal(trace.getSpanContext(got[0]!.context)?.spanId, 'b7ad6b7169203331');
  assert.equal(trace.getSpanContext(got[1]!.context), undefined);
  assert.ok(got[1]!.seq > got[0]!.seq);
});

test('consumers with one durable name share the messages: each exactly once across the group', async () => {
  const b1 = await bus();
  const b2 = await bus();
  for (let i = 0; i < 40; i++) await b1.publish('events.enriched.group', bytes(String(i)));
  const c1 = await b1.consume(consumeOpts('group-eval', 'events.enriched.group'));
  const c2 = await b2.consume(consumeOpts('group-eval', 'events.enriched.group'));
  const all: DurableMessage[] = [];
  const loop = async (c: Consumption) => { for await (const m of c) { all.push(m); m.ack(); if (all.length >= 40) { c1.stop(); c2.stop(); } } };
  await Promise.all([loop(c1), loop(c2)]);
  assert.deepEqual(all.map((m) => Number(text(m))).sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i));
});

test('a nak comes back, a term does not', async () => {
  const b = await bus();
  await b.publish('events.raw.naks', bytes('retry me'));
  await b.publish('events.raw.naks', bytes('poison'));
  const c = await b.consume(consumeOpts('naks', 'events.raw.naks'));
  const seen: string[] = [];
  for await (const m of c) {
    seen.push(`${text(m)}#${m.redeliveries}`);
    if (text(m) === 'poison') m.term();
    else if (m.redeliveries === 0) m.nak();
    else m.ack();
    if (seen.length === 3) break;
  }
  // Whether the redelivery overtakes 'poison' is the server's choice (naks go first in its redelivery queue).
  assert.deepEqual(seen.sort(), ['poison#0', 'retry me#0', 'retry me#1']);
  const more = await Promise.race([(async () => { for await (const m of c) return text(m); return 'ended'; })(), new Promise((r) => setTimeout(() => r('nothing'), 1500))]);
  c.stop();
  assert.equal(more, 'nothing', 'neither the termed nor the acked message comes back');
});

test('control: request/reply over core NATS', async () => {
  const b = await bus();
  b.control.serve('peregrine.rules.eventtypes', (d) => bytes(`types:${new TextDecoder().decode(d)}`));
  await b.nc.flush();
  assert.equal(new TextDecoder().decode(await b.control.request('peregrine.rules.eventtypes', bytes('n1'), 2000)), 'types:n1');
});

test('auth from config: user/password and token are used, wrong ones refused', async () => {
  const userServer = await startNats({ jetstream: false, args: ['--user', 'peregrine', '--pass', 's3cret'] });
  const tokenServer = await startNats({ jetstream: false, args: ['--auth', 't0ken'] });
  try {
    const { connectionOptions } = await import('../src/nats-bus.ts');
    const ok = await connect(connectionOptions(parseNatsConfig({ servers: userServer.url, user: 'peregrine', pass: 's3cret' })));
    await ok.close();
    await assert.rejects(connect({ ...connectionOptions(parseNatsConfig({ servers: userServer.url, user: 'peregrine', pass: 'wrong' })), reconnect: false }), /Authorization/i);
    const tok = await connect(connectionOptions(parseNatsConfig({ servers: tokenServer.url, token: 't0ken' })));
    await tok.close();
    await assert.rejects(connect({ ...connectionOptions(parseNatsConfig({ servers: tokenServer.url, token: 'nope' })), reconnect: false }), /Authorization/i);
  } finally {
    await userServer.dispose();
    await tokenServer.dispose();
  }
});

test('a changed alert subject template re-points the stream and an existing durable to the new subjects', async () => {
  const before = await bus();
  const old = await before.consume(consumeOpts('template-output', 'falco.>'));
  old.stop();
  const custom = await NatsBus.connect(parseNatsConfig({ servers: nats.url }), parseStreamsConfig({}), 'security.<priority>.<rule>');
  open.push(custom);
  const jsm = await custom.nc.jetstreamManager();
  assert.deepEqual((await jsm.streams.info(ALERTS_STREAM)).config.subjects, ['security.*.*']);
  await custom.publish('security.error.write_below_etc', bytes('alert-1'), { msgId: 'alert.template-1' });
  const c = await custom.consume(consumeOpts('template-output', 'security.*.*'));
  const got = await collect(c, 1);
  c.stop();
  assert.deepEqual(got.map((m) => [m.subject, text(m)]), [['security.error.write_below_etc', 'alert-1']]);
  assert.equal((await jsm.consumers.info(ALERTS_STREAM, 'template-output')).config.filter_subject, 'security.*.*');
  // Back to the default for the tests after this one.
  open.push(await bus());
});
