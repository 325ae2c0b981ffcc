import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../src/memory-bus.ts';
import type { Consumption, DurableMessage } from '../src/bus.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (m: DurableMessage) => new TextDecoder().decode(m.data);

async function take(c: Consumption, n: number): Promise<DurableMessage[]> {
  const out: DurableMessage[] = [];
  if (n === 0) return out;
  for await (const m of c) {
    out.push(m);
    m.ack();
    if (out.length === n) break;
  }
  return out;
}

const opts = (durable: string, filter: string) => ({ durable, filter, maxBytes: 1 << 20, maxAckPending: 100 });

test('every durable whose filter matches gets its own copy, in publish order', async () => {
  const bus = new MemoryBus();
  const a = await bus.consume(opts('a', 'events.raw.*'));
  const b = await bus.consume(opts('b', 'events.>'));
  for (const s of ['one', 'two', 'three']) await bus.publish('events.raw.n1', bytes(s));
  await bus.publish('falco.notice.x', bytes('not for them'));
  assert.deepEqual((await take(a, 3)).map(text), ['one', 'two', 'three']);
  assert.deepEqual((await take(b, 3)).map(text), ['one', 'two', 'three']);
  assert.equal(bus.pending(), 0);
});

test('consumers sharing a durable split the messages (queue group), each message once', async () => {
  const bus = new MemoryBus();
  const c1 = await bus.consume(opts('evaluation', 'events.enriched.*'));
  const c2 = await bus.consume(opts('evaluation', 'events.enriched.*'));
  const seen: string[] = [];
  const drain = async (c: Consumption) => { for await (const m of c) { seen.push(text(m)); m.ack(); } };
  const loops = [drain(c1), drain(c2)];
  for (let i = 0; i < 20; i++) await bus.publish('events.enriched.n', bytes(String(i)));
  await new Promise((r) => setImmediate(r));
  c1.stop(); c2.stop();
  await Promise.all(loops);
  assert.deepEqual(seen.map(Number).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
});

test('a repeated message id is stored once; nak puts a message back first in line', async () => {
  const bus = new MemoryBus();
  const c = await bus.consume(opts('d', 'events.>'));
  await bus.publish('events.raw.n', bytes('x'), { msgId: 'enrichment.n.1' });
  await bus.publish('events.raw.n', bytes('x again'), { msgId: 'enrichment.n.1' });
  await bus.publish('events.raw.n', bytes('y'), { msgId: 'enrichment.n.2' });
  const it = c[Symbol.asyncIterator]();
  const first = (await it.next()).value as DurableMessage;
  assert.equal(text(first), 'x');
  first.nak();
  const again = (await it.next()).value as DurableMessage;
  assert.equal(text(again), 'x');
  assert.equal(again.redeliveries, 1);
  again.ack();
  assert.equal(text((await it.next()).value as DurableMessage), 'y');
  assert.equal(bus.pending(), 0);
});

test('publish waits while a durable queue is full: the producer is paced by the consumer', async () => {
  const bus = new MemoryBus({ queueCapacity: 2 });
  const c = await bus.consume(opts('slow', 'events.>'));
  await bus.publish('events.raw.n', bytes('1'));
  await bus.publish('events.raw.n', bytes('2'));
  let third = false;
  const p = bus.publish('events.raw.n', bytes('3')).then(() => { third = true; });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(third, false, 'third publish waits for room');
  await take(c, 1);
  await p;
  assert.equal(third, true);
});

test('control: request/reply and publish to every subscriber', async () => {
  const bus = new MemoryBus();
  bus.control.serve('peregrine.rules.eventtypes', (d) => bytes(`types for ${new TextDecoder().decode(d)}`));
  const got: string[] = [];
  bus.control.serve('peregrine.trace.keep', (d) => { got.push(new TextDecoder().decode(d)); });
  bus.control.serve('peregrine.trace.keep', (d) => { got.push(`2:${new TextDecoder().decode(d)}`); });
  assert.equal(new TextDecoder().decode(await bus.control.request('peregrine.rules.eventtypes', bytes('n1'), 100)), 'types for n1');
  await bus.control.publish('peregrine.trace.keep', bytes('abc'));
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(got.sort(), ['2:abc', 'abc']);
  await assert.rejects(bus.control.request('nobody.here', bytes(''), 50), /no responders/);
});
