/**
 * The evaluation stage inside the real host on the in-memory bus: a batch published on the enriched subject
 * comes out as Falco-shaped alerts on falco.<priority>.<rule>; the same batch published twice (as after a capture
 * restart) raises an alert with the same uuid, the alert's msgId, so it is stored once.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus, enrichedEvents } from '@peregrine/bus';
import { Host, createLogger, loadConfig, type AlertStage } from '@peregrine/runtime';
import { encodeBatch, type Alert } from '@peregrine/event';
import evaluation from '../src/index.ts';
import { BatchBuilder, NODE } from '../../../libs/rules/test/ruleset/batch-builder.ts';

describe('evaluation stage in the host (in-memory bus)', () => {
  const bus = new MemoryBus();
  const received: Alert[] = [];
  const sink: AlertStage = { kind: 'alert', name: 'sink', handle: (a) => { received.push(a); } };
  const host = new Host({
    bus,
    node: NODE,
    stages: [
      { name: 'evaluation', stage: evaluation(), config: { watch_rules: false }, next: undefined },
      { name: 'sink', stage: sink, config: {}, next: undefined },
    ],
    settings: loadConfig(undefined, {}).runtime,
    logger: createLogger({ level: 'error', sink: { write: () => {} } }),
    http: null,
  });
  after(async () => {
    await host.drain();
    await bus.close();
  });

  it('turns a seed batch into an alert; the same batch again raises the same uuid, which the bus stores once; another event a new one', async () => {
    await host.start();
    const b = new BatchBuilder();
    const c = b.container({}, { nsName: 'shop', podName: 'web-1' });
    b.event('execve', { proc: b.proc({ name: 'bash', tty: 34816 }, [{ name: 'runc' }], c), args: {} });
    const data = encodeBatch(b.batch);
    await bus.publish(enrichedEvents(NODE), data);
    await waitFor(() => received.length === 1);
    assert.equal(received[0]!.rule, 'Interactive shell in container');
    assert.equal(received[0]!.hostname, NODE);
    await bus.publish(enrichedEvents(NODE), data);
    b.batch.events[0]!.num = 77;
    await bus.publish(enrichedEvents(NODE), encodeBatch(b.batch));
    await waitFor(() => received.length === 2);
    // the republished batch's alert had the same uuid (its msgId) and was deduplicated; the new event's was not
    assert.notEqual(received[1]!.uuid, received[0]!.uuid);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(received.length, 2);
  });
});

function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => (check() ? resolve() : Date.now() > until ? reject(new Error('timed out')) : setTimeout(tick, 20));
    tick();
  });
}
