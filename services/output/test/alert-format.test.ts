import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert } from '@peregrine/event';
import { COUNT_FIELD, compileTemplate, textLine, withCustomFields } from '../src/alert-format.ts';
import { OutputConfigError } from '../src/errors.ts';

const a: Alert = { uuid: 'u-1', time: '2026-11-28T10:36:52.123456789Z', rule: 'Write below etc', priority: 'Error', source: 'syscall',
  hostname: 'node-a', output: 'File below /etc opened for writing (file=/etc/shadow)', tags: ['filesystem', 'mitre_persistence'],
  output_fields: { 'fd.name': '/etc/shadow', 'k8s.ns.name': 'prod', 'proc.pid': 42 } };

test("textLine is Falco's text output, with the dedup count when there is one", () => {
  assert.equal(textLine(a), '10:36:52.123456789: Error File below /etc opened for writing (file=/etc/shadow)');
  assert.equal(textLine({ ...a, output_fields: { [COUNT_FIELD]: 7 } }), '10:36:52.123456789: Error File below /etc opened for writing (file=/etc/shadow) (repeated 7 times)');
});

test('templates fill top-level keys, tags, count and output_fields; unknown placeholders fail at load', () => {
  const t = compileTemplate('[{{priority}}] {{ rule }} on {{hostname}} ns={{output_fields.k8s.ns.name}} pid={{output_fields.proc.pid}} x={{output_fields.nope}} tags={{tags}} n={{count}}', 'p');
  assert.equal(t(a), '[Error] Write below etc on node-a ns=prod pid=42 x=<NA> tags=filesystem,mitre_persistence n=1');
  assert.throws(() => compileTemplate('{{rulez}}', 'dest.template'), (e: unknown) => e instanceof OutputConfigError && e.path === 'dest.template');
});

test("custom fields are added to output_fields without overriding the alert's own", () => {
  const out = withCustomFields(a, { cluster: 'eu-1', 'k8s.ns.name': 'other' });
  assert.equal(out.output_fields.cluster, 'eu-1');
  assert.equal(out.output_fields['k8s.ns.name'], 'prod');
  assert.equal(a.output_fields.cluster, undefined, 'the input alert is not changed');
  assert.equal(withCustomFields(a, null), a);
});
