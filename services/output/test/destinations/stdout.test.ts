import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Alert } from '@peregrine/event';
import { COUNT_FIELD } from '../../src/alert-format.ts';
import { StdoutDestination } from '../../src/destinations/stdout.ts';

/** As the rules engine builds it: Falco's `output` already starts with `<evt.time>: <Priority> `. */
const falcoAlert: Alert = {
  uuid: '3f1c2a5e-0b1d-5e2f-8a3b-4c5d6e7f8091', time: '2026-11-28T11:04:02.758065975Z', rule: 'Write below etc', priority: 'Error',
  source: 'syscall', hostname: 'node-a', tags: ['filesystem'],
  output: '11:04:02.758065975: Error File below /etc opened for writing (file=/etc/shadow)',
  output_fields: { 'evt.time': 1795863842758065975, 'fd.name': '/etc/shadow' },
};

function capture(): { stream: Writable; lines: () => string[] } {
  let text = '';
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { text += chunk.toString(); cb(); } });
  return { stream, lines: () => text.split('\n').filter(Boolean) };
}

test('stdout text prints Falco\'s line once: time and priority are not repeated before an output that has them', async () => {
  const out = capture();
  const d = new StdoutDestination('stdout', 'text', out.stream);
  await d.send(falcoAlert);
  await d.send({ ...falcoAlert, output_fields: { [COUNT_FIELD]: 3 } });
  // With Falco's time_format_iso_8601 the prefix is the ISO time.
  await d.send({ ...falcoAlert, output: '2026-11-28T11:04:02.758065975+0000: Error File below /etc opened for writing (file=/etc/shadow)' });
  // An alert built by a user stage, without the prefix, still gets time and priority.
  await d.send({ ...falcoAlert, priority: 'Notice', output: 'batch 3 of node-a' });
  assert.deepEqual(out.lines(), [
    '11:04:02.758065975: Error File below /etc opened for writing (file=/etc/shadow)',
    '11:04:02.758065975: Error File below /etc opened for writing (file=/etc/shadow) (repeated 3 times)',
    '2026-11-28T11:04:02.758065975+0000: Error File below /etc opened for writing (file=/etc/shadow)',
    '11:04:02.758065975: Notice batch 3 of node-a',
  ]);
});
