/** The file destination: append, size rotation, and re-open after an external rotation (SIGHUP). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '@peregrine/event';
import { FileDestination } from '../../src/destinations/file.ts';

const alert = (n: number): Alert => ({ uuid: `u${n}`, time: '2026-11-28T10:36:52.000000001Z', rule: 'r', priority: 'Notice', source: 'syscall',
  hostname: 'h', output: `alert number ${String(n).padStart(3, '0')}`, tags: [], output_fields: {} });

test('size rotation keeps maxBackups files, newest in .1, never splitting a line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'alerts.log');
  const line = '10:36:52.000000001: Notice alert number 000\n'.length;
  const d = new FileDestination('f', { path, format: 'text', maxSizeBytes: line * 3, maxBackups: 2 });
  for (let i = 0; i < 10; i++) await d.send(alert(i));
  d.close();
  const nums = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => Number(l.slice(-3)));
  assert.deepEqual(nums(path), [9]);
  assert.deepEqual(nums(`${path}.1`), [6, 7, 8]);
  assert.deepEqual(nums(`${path}.2`), [3, 4, 5]);
  assert.equal(existsSync(`${path}.3`), false);
});

test('reopen() after logrotate moved the file writes to a new file at the path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'alerts.json');
  const d = new FileDestination('f', { path, format: 'json', maxSizeBytes: 0, maxBackups: 0 });
  await d.send(alert(1));
  renameSync(path, `${path}.old`);
  await d.send(alert(2)); // still into the moved file, as with any open fd
  d.reopen();
  await d.send(alert(3));
  d.close();
  const uuids = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l).uuid);
  assert.deepEqual(uuids(`${path}.old`), ['u1', 'u2']);
  assert.deepEqual(uuids(path), ['u3']);
});
