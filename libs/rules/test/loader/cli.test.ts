/**
 * `peregrine rules validate` and `peregrine rules list`, run as a user runs them (the real bin, a real process).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UPSTREAM_STABLE_RULES, UPSTREAM_INCUBATING_RULES } from '../../../../tests/support/shared.ts';

const BIN = fileURLToPath(new URL('../../../cli/bin/peregrine.mjs', import.meta.url));

function peregrine(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('peregrine rules CLI', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'peregrine-cli-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('validate: upstream stable + incubating are Ok, exit 0', () => {
    const r = peregrine('rules', 'validate', UPSTREAM_STABLE_RULES, UPSTREAM_INCUBATING_RULES);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /: Ok, 56 rules \(0 warning\(s\)\)\n$/);
  });

  it('validate: an error prints file:line:col, the line and a caret, exit 1', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, '- rule: R\n  desc: d\n  condition: >\n    evt.type = open\n      and proc.nmae = x\n  output: o\n  priority: info\n');
    const r = peregrine('rules', 'validate', file);
    assert.equal(r.code, 1);
    assert.equal(r.out, [
      `${file}:5:11: error: unknown field 'proc.nmae' (rule 'R') [LOAD_ERR_COMPILE_CONDITION]`,
      '        and proc.nmae = x',
      '            ^',
      `${file}: Invalid (1 error(s), 0 warning(s))`,
      '',
    ].join('\n'));
  });

  it('validate: warnings alone still exit 0', () => {
    const file = join(dir, 'warn.yaml');
    writeFileSync(file, '- macro: unused\n  condition: evt.num > 0\n- rule: R\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: info\n');
    const r = peregrine('rules', 'validate', file);
    assert.equal(r.code, 0);
    assert.match(r.out, /warn\.yaml:1:3: warning: Macro not referred to by any other rule\/macro \(macro 'unused'\) \[LOAD_UNUSED_MACRO\]\n  - macro: unused\n    \^/);
  });

  it('validate: a missing file is an error', () => {
    const r = peregrine('rules', 'validate', join(dir, 'nope.yaml'));
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot read rules file .*nope\.yaml/);
  });

  it('list: name, priority, source, tags, state; default is our rules', () => {
    const file = join(dir, 'list.yaml');
    writeFileSync(file, '- rule: Quiet one\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: debug\n  enabled: false\n  tags: [b, a]\n');
    const r = peregrine('rules', 'list', '--rules', file);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.split('\n').map((l) => l.trimEnd()), [
      'RULE       PRIORITY  SOURCE   TAGS  STATE',
      'Quiet one  Debug     syscall  a,b   disabled',
      '',
    ]);
    const d = peregrine('rules', 'list');
    assert.match(d.out, /^Interactive shell in container +Notice +syscall +\S+ +enabled$/m);
    assert.match(d.out, /^Write below monitored directory +Error +syscall +\S+ +enabled$/m);
  });
});
