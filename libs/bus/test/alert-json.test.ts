import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Alert } from '@peregrine/event';
import { decodeAlert, decodeJson, encodeAlert, encodeJson } from '../src/alert-json.ts';
import { AlertDecodeError } from '../src/errors.ts';

const alert: Alert = {
  uuid: '3f1c2a5e-0b1d-5e2f-8a3b-4c5d6e7f8091', time: '2026-11-28T11:04:02.758065975Z', rule: 'Write below etc', priority: 'Error',
  source: 'syscall', hostname: 'node-a', tags: ['filesystem'], output: '11:04:02.758065975: Error File below /etc opened (file="/etc/shadow")',
  output_fields: { 'evt.time': 1795863842758065975n, 'fd.name': '/etc/shadow', 'proc.pid': 42, 'k8s.ns.name': null, 'evt.is_open_write': true },
};

test('encodeAlert writes a bigint as Falco does, bare digits; decodeAlert reads it back exactly', () => {
  const text = encodeAlert(alert);
  assert.match(text, /"output_fields":\{"evt\.time":1795863842758065975,"fd\.name":"\/etc\/shadow","proc\.pid":42,"k8s\.ns\.name":null,"evt\.is_open_write":true\}\}$/);
  assert.deepEqual(decodeAlert(text), alert);
  assert.equal(decodeAlert(new TextEncoder().encode(text)).output_fields['evt.time'], 1795863842758065975n);
  // What JSON.stringify of a number would have printed:
  assert.notEqual(JSON.stringify(Number(1795863842758065975n)), '1795863842758065975');
});

test('without bigints the text is JSON.stringify\'s, and decodeJson agrees with JSON.parse on safe numbers', () => {
  const onlySafeIntegers = (v: unknown) => {
    let safe = true;
    JSON.stringify(v, (_k, x: unknown) => { if (typeof x === 'number' && Number.isInteger(x) && !Number.isSafeInteger(x)) safe = false; return x; });
    return safe;
  };
  fc.assert(fc.property(fc.jsonValue().filter(onlySafeIntegers), (v) => {
    const text = JSON.stringify(v);
    assert.equal(encodeJson(v), text);
    assert.deepEqual(decodeJson(text), JSON.parse(text));
  }), { numRuns: 300 });
  assert.deepEqual(decodeJson(' [9007199254740991, 9007199254740993, -9007199254740993, 1e21, 2.5] '), [9007199254740991, 9007199254740993n, -9007199254740993n, 1e21, 2.5]);
  assert.equal(encodeJson({ a: undefined, b: [undefined] }), '{"b":[null]}');
});

test('bad alert JSON is an AlertDecodeError naming the offset; a JSON value that is not an alert names the field', () => {
  for (const [text, offset] of [['{"uuid":', 8], ['[1,]', 3], ['{"a" 1}', 5], ['"abc', 0], ['{} x', 3]] as const) {
    assert.throws(() => decodeJson(text), (e: unknown) => e instanceof AlertDecodeError && e.offset === offset, text);
  }
  assert.throws(() => decodeAlert('[1]'), /alert is not a JSON object/);
  assert.throws(() => decodeAlert('{"uuid":"u","rule":"r","priority":"Error","output":"o"}'), /alert field 'time' is missing/);
});
