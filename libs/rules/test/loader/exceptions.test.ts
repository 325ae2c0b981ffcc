/**
 * Exceptions become condition text exactly as Falco's rule_loader_compiler writes it, and positions inside folded
 * YAML conditions map back to the right file line and column.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Collector } from '../../src/loader/collector.ts';
import { Diagnostics } from '../../src/loader/diagnostics.ts';
import { applyExceptions } from '../../src/loader/exceptions.ts';
import { readRulesFile } from '../../src/loader/reader.ts';
import { RulesFile } from '../../src/loader/source.ts';

function conditionWithExceptions(exceptions: string, condition = 'evt.type = open'): string {
  const collector = new Collector();
  const diags = new Diagnostics();
  const text = `- rule: R\n  desc: d\n  condition: ${condition}\n  output: o\n  priority: info\n  exceptions:\n${exceptions}`;
  readRulesFile(new RulesFile('e.yaml', text), collector, diags);
  assert.deepEqual(diags.all, []);
  const rule = collector.rules.get('R')!;
  const c = rule.condition.clone();
  applyExceptions(c, rule.exceptions);
  return c.text;
}

describe('exception conditions (Falco text)', () => {
  it('tuple form with default comps', () => {
    assert.equal(
      conditionWithExceptions('    - name: e\n      fields: [proc.name, fd.name]\n      values: [[cat, /etc/passwd], [vi, /etc/hosts]]\n'),
      '(evt.type = open) and not (( proc.name = cat and  fd.name = /etc/passwd) or ( proc.name = vi and  fd.name = /etc/hosts))',
    );
  });

  it('scalar form with default comp in', () => {
    assert.equal(
      conditionWithExceptions('    - name: e\n      fields: proc.name\n      values: [cat, "my tool"]\n'),
      '(evt.type = open) and not (proc.name in (cat, "my tool"))',
    );
  });

  it('values with spaces are double-quoted unless already quoted', () => {
    assert.equal(
      conditionWithExceptions(`    - name: e\n      fields: [proc.cmdline]\n      values: [["sh -c x"], ['"already quoted"']]\n`),
      '(evt.type = open) and not (( proc.cmdline = "sh -c x") or ( proc.cmdline = "already quoted"))',
    );
  });

  it('a list operator wraps a scalar value in parentheses; a list value becomes (a, b)', () => {
    assert.equal(
      conditionWithExceptions('    - name: e\n      fields: [proc.name, fd.directory]\n      comps: [in, pmatch]\n      values: [[my_list, [/tmp, /var/tmp]]]\n'),
      '(evt.type = open) and not (( proc.name in (my_list) and  fd.directory pmatch (/tmp, /var/tmp)))',
    );
  });

  it('several exceptions each add "and not"', () => {
    assert.equal(
      conditionWithExceptions('    - name: a\n      fields: proc.name\n      values: [x]\n    - name: b\n      fields: [fd.name]\n      comps: [startswith]\n      values: [[/tmp/]]\n'),
      '(evt.type = open) and not (proc.name in (x)) and not (( fd.name startswith /tmp/))',
    );
  });

  it('an exception with no values adds nothing but the parentheses', () => {
    assert.equal(conditionWithExceptions('    - name: a\n      fields: [proc.name]\n      values: []\n'), '(evt.type = open)');
  });
});

describe('positions inside conditions', () => {
  it('maps offsets in a folded multi-line condition back to the file', () => {
    const text = '- macro: m\n  condition: >\n    evt.type = open\n      and proc.name = cat\n';
    const collector = new Collector();
    readRulesFile(new RulesFile('f.yaml', text), collector, new Diagnostics());
    const cond = collector.macros.get('m')!.condition;
    const at = cond.text.indexOf('proc.name');
    const p = cond.position(at);
    assert.deepEqual([p.line, p.col, p.lineText], [4, 11, '      and proc.name = cat']);
    const q = cond.position(0);
    assert.deepEqual([q.line, q.col], [3, 5]);
  });

  it('maps offsets in a quoted one-line condition', () => {
    const text = '- macro: m\n  condition: "evt.type = open and fd.name = x"\n';
    const collector = new Collector();
    readRulesFile(new RulesFile('f.yaml', text), collector, new Diagnostics());
    const cond = collector.macros.get('m')!.condition;
    const p = cond.position(cond.text.indexOf('fd.name'));
    assert.deepEqual([p.line, p.col], [2, 35]);
  });

  it('appended text keeps the position in its own file', () => {
    const a = new RulesFile('a.yaml', '- macro: m\n  condition: evt.type = open\n');
    const b = new RulesFile('b.yaml', '- macro: m\n  condition: and fd.name = x\n  override:\n    condition: append\n');
    const collector = new Collector();
    const diags = new Diagnostics();
    readRulesFile(a, collector, diags);
    readRulesFile(b, collector, diags);
    const cond = collector.macros.get('m')!.condition;
    assert.equal(cond.text, 'evt.type = open and fd.name = x');
    const p = cond.position(cond.text.indexOf('fd.name'));
    assert.deepEqual([p.file, p.line, p.col], ['b.yaml', 2, 18]);
  });
});
