import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../../../..');

function peregrine(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'libs/cli/bin/peregrine.mjs', ...args], { cwd: root, encoding: 'utf8' });
}

test('peregrine fields lists every field with its type and description', () => {
  const r = peregrine('fields');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ {2}proc\.name +string +the name \(excluding the path\) of the executable generating the event$/m);
  assert.match(r.stdout, /^ {2}proc\.aname\[N\] +string +the name of ancestor N .*\(argument optional\)$/m);
  assert.match(r.stdout, /^ {2}fd\.net +net +/m);
  assert.match(r.stdout, /^ {2}k8s\.pod\.label\[KEY\] +string .*\(argument required\)$/m);
  for (const group of ['evt', 'proc', 'thread', 'user', 'group', 'fd', 'fs', 'container', 'k8s']) {
    assert.match(r.stdout, new RegExp(`^${group}$`, 'm'), group);
  }
});

test('peregrine fields --json PREFIX prints the selected rows', () => {
  const r = peregrine('fields', '--json', 'fd.s');
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<{ name: string; type: string }>;
  assert.deepEqual(rows.map((x) => x.name), ['fd.sip', 'fd.sport', 'fd.snet', 'fd.sip.name', 'fd.sockfamily']);
  assert.equal(rows[0]!.type, 'ip');
});

test('peregrine fields with an unknown prefix fails and says so', () => {
  const r = peregrine('fields', 'nope.');
  assert.equal(r.status, 1);
  assert.equal(r.stderr, "peregrine fields: no field starts with 'nope.'\n");
});
