import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '@peregrine/event';
import { Spool } from '../src/spool.ts';

const alert = (uuid: string): Alert => ({ uuid, time: '2026-11-28T10:00:00Z', rule: 'r', priority: 'Notice', source: 'syscall', hostname: 'h', output: 'o', tags: [], output_fields: {} });

test('queued alerts survive a reopen in order, delivered ones do not come back, an empty spool truncates its file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-spool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let s = new Spool(dir);
  for (const u of ['a', 'b', 'c']) s.append(alert(u));
  s.shift();
  s.close();
  s = new Spool(dir);
  assert.equal(s.pending, 2);
  assert.equal(s.peek()?.uuid, 'b');
  s.shift();
  s.append(alert('d'));
  s.close();
  s = new Spool(dir);
  assert.deepEqual([s.peek()?.uuid, s.pending], ['c', 2]);
  s.shift();
  s.shift();
  assert.equal(s.pending, 0);
  assert.equal(statSync(s.file).size, 0);
  s.close();
});

test('a torn last write is cut off and reported; the records before it are kept', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-spool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = new Spool(dir);
  s.append(alert('a'));
  s.close();
  appendFileSync(join(dir, 'queue.jsonl'), '{"uuid":"b","ti');
  const r = new Spool(dir);
  assert.equal(r.pending, 1);
  assert.equal(r.corrupt.length, 1);
  r.append(alert('c'));
  r.shift();
  assert.equal(r.peek()?.uuid, 'c');
  assert.ok(readFileSync(r.file, 'utf8').endsWith('"c","time":"2026-11-28T10:00:00Z","rule":"r","priority":"Notice","source":"syscall","hostname":"h","output":"o","tags":[],"output_fields":{}}\n'));
  r.close();
});

test('a damaged record in the middle is skipped and reported; its neighbours are delivered', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-spool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = new Spool(dir);
  s.append(alert('a'));
  s.close();
  appendFileSync(join(dir, 'queue.jsonl'), 'garbage that is not json\n');
  const s2 = new Spool(dir);
  s2.append(alert('b'));
  s2.close();
  const r = new Spool(dir);
  assert.equal(r.corrupt.length, 1);
  assert.equal(r.peek()?.uuid, 'a');
  r.shift();
  assert.equal(r.peek()?.uuid, 'b');
  r.shift();
  assert.equal(r.pending, 0);
  r.close();
});
