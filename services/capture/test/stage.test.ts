import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dropAlert, parseConfig, parseEventTypes, serveKill } from '../src/stage.ts';
import { CaptureConfigError } from '../src/errors.ts';

const enc = new TextEncoder();

describe('capture stage helpers', () => {
  it('reads evaluation\'s event types reply, a bare list, and null as "all"', () => {
    assert.deepEqual(parseEventTypes(enc.encode('{"eventTypes":["open","execve"],"rules":3}')), ['open', 'execve']);
    assert.deepEqual(parseEventTypes(enc.encode('["connect"]')), ['connect']);
    assert.equal(parseEventTypes(enc.encode('{"eventTypes":null,"rules":1}')), 'all');
    assert.equal(parseEventTypes(enc.encode('{"eventTypes":[1,2]}')), undefined);
    assert.equal(parseEventTypes(enc.encode('not json')), undefined);
  });

  it('rejects a bad config value naming the field', () => {
    assert.throws(() => parseConfig({ ringBytes: 1000 }), (e: unknown) => e instanceof CaptureConfigError && e.field === 'ringBytes');
    assert.throws(() => parseConfig({ batchEvents: '10' }), (e: unknown) => e instanceof CaptureConfigError && e.field === 'batchEvents');
    assert.equal(parseConfig({ batchEvents: 10 }).batchEvents, 10);
  });

  it('refuses a kill request without pid and start time', () => {
    assert.deepEqual(serveKill(enc.encode('{"pid":1234}')), { killed: false, reason: 'bad request: needs pid and startTs' });
    assert.deepEqual(serveKill(enc.encode('garbage')), { killed: false, reason: 'unreadable request' });
    assert.deepEqual(serveKill(enc.encode('{"pid":1234,"startTs":"1","signal":"SIGNOPE"}')), { killed: false, reason: 'unknown signal SIGNOPE' });
  });

  it('reports drops as Falco\'s internal "syscall event drop" alert', () => {
    const stats = { events: 1000 } as Parameters<typeof dropAlert>[1];
    const a = dropAlert('node-a', stats, 7, 3);
    assert.equal(a.rule, 'Falco internal: syscall event drop');
    assert.equal(a.source, 'internal');
    assert.equal(a.priority, 'Debug');
    assert.equal(a.hostname, 'node-a');
    assert.equal(a.output_fields.n_drops, 10);
    assert.equal(a.output_fields.n_drops_buffer, 7);
    assert.match(a.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  });
});
