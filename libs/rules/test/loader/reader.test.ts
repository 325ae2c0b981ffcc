/**
 * The reader and collector alone: what each rules item does to the collected lists, macros and rules, the errors
 * Falco gives for bad items, and where those errors point.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Collector } from '../../src/loader/collector.ts';
import { Diagnostics } from '../../src/loader/diagnostics.ts';
import { readRulesFile } from '../../src/loader/reader.ts';
import { RulesFile } from '../../src/loader/source.ts';
import { formatDiagnostic } from '../../src/errors.ts';
import { UPSTREAM_STABLE_RULES, UPSTREAM_INCUBATING_RULES } from '../../../../tests/support/shared.ts';


function read(...files: [string, string][]) {
  const collector = new Collector();
  const diags = new Diagnostics();
  for (const [name, content] of files) readRulesFile(new RulesFile(name, content), collector, diags);
  return { collector, diags, errors: diags.all.filter((d) => d.severity === 'error'), warnings: diags.all.filter((d) => d.severity === 'warning') };
}

const BASE = `
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type = execve
- rule: Shell
  desc: a shell
  condition: spawned and proc.name in (shells)
  output: shell %proc.name
  priority: WARNING
  tags: [b, a]
`;

describe('reader: upstream files', () => {
  it('reads falco_rules.yaml then falco-incubating_rules.yaml with no errors: 25 + 31 rules', () => {
    const stable = readFileSync(UPSTREAM_STABLE_RULES, 'utf8');
    const incubating = readFileSync(UPSTREAM_INCUBATING_RULES, 'utf8');
    const s = read(['falco_rules.yaml', stable]);
    assert.deepEqual(s.errors, []);
    assert.equal(s.collector.rules.size, 25);
    assert.equal(s.collector.macros.size, 87);
    assert.equal(s.collector.lists.size, 49);
    const both = read(['falco_rules.yaml', stable], ['falco-incubating_rules.yaml', incubating]);
    assert.deepEqual(both.errors.map(formatDiagnostic), []);
    assert.equal(both.collector.rules.size, 56);
    assert.equal(both.collector.rules.get('Terminal shell in container')?.priority, 'Notice');
  });
});

describe('reader: items', () => {
  it('reads a rule: priority case-insensitive, tags, defaults', () => {
    const { collector, diags } = read(['r.yaml', BASE]);
    assert.deepEqual(diags.all, []);
    const r = collector.rules.get('Shell')!;
    assert.equal(r.priority, 'Warning');
    assert.equal(r.source, 'syscall');
    assert.equal(r.enabled, true);
    assert.deepEqual([...r.tags], ['b', 'a']);
    assert.equal(r.condition.text, 'spawned and proc.name in (shells)');
    assert.equal(r.warnEvttypes, true);
    assert.equal(r.skipIfUnknownFilter, false);
  });

  it('info means informational', () => {
    const { collector } = read(['r.yaml', BASE.replace('WARNING', 'info')]);
    assert.equal(collector.rules.get('Shell')!.priority, 'Informational');
  });

  it('appends list items with override: items: append', () => {
    const { collector, diags } = read(['a.yaml', BASE], ['b.yaml', '- list: shells\n  items: [zsh]\n  override:\n    items: append\n']);
    assert.deepEqual(diags.all, []);
    assert.deepEqual(collector.lists.get('shells')!.items, ['bash', 'sh', 'zsh']);
  });

  it('append: true still works, with a deprecation warning at the item', () => {
    const { collector, warnings } = read(['a.yaml', BASE], ['b.yaml', '- list: shells\n  items: [zsh]\n  append: true\n']);
    assert.deepEqual(collector.lists.get('shells')!.items, ['bash', 'sh', 'zsh']);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.code, 'LOAD_DEPRECATED_ITEM');
    assert.equal(warnings[0]!.position.file, 'b.yaml');
    assert.equal(warnings[0]!.position.line, 1);
  });

  it('redefining a list replaces it', () => {
    const { collector } = read(['a.yaml', BASE], ['b.yaml', '- list: shells\n  items: [fish]\n']);
    assert.deepEqual(collector.lists.get('shells')!.items, ['fish']);
  });

  it('appends to a macro condition with a space', () => {
    const { collector } = read(['a.yaml', BASE], ['b.yaml', '- macro: spawned\n  condition: or evt.type = execveat\n  override:\n    condition: append\n']);
    assert.equal(collector.macros.get('spawned')!.condition.text, 'evt.type = execve or evt.type = execveat');
  });

  it('override appends condition and output, replaces priority and enabled, in one item', () => {
    const more = `
- rule: Shell
  condition: and proc.tty != 0
  output: tty=%proc.tty
  priority: critical
  enabled: false
  tags: [c]
  override:
    condition: append
    output: append
    tags: append
    priority: replace
    enabled: replace
`;
    const { collector, diags } = read(['a.yaml', BASE], ['b.yaml', more]);
    assert.deepEqual(diags.all, []);
    const r = collector.rules.get('Shell')!;
    assert.equal(r.condition.text, 'spawned and proc.name in (shells) and proc.tty != 0');
    assert.equal(r.output.text, 'shell %proc.name tty=%proc.tty');
    assert.equal(r.priority, 'Critical');
    assert.equal(r.enabled, false);
    assert.deepEqual([...r.tags], ['b', 'a', 'c']);
  });

  it('override replace of tags and desc', () => {
    const { collector } = read(['a.yaml', BASE], ['b.yaml', '- rule: Shell\n  desc: new\n  tags: [x]\n  override:\n    desc: replace\n    tags: replace\n']);
    const r = collector.rules.get('Shell')!;
    assert.equal(r.desc, 'new');
    assert.deepEqual([...r.tags], ['x']);
  });

  it('enables or disables an earlier rule with a lone enabled key (deprecated)', () => {
    const { collector, warnings } = read(['a.yaml', BASE], ['b.yaml', '- rule: Shell\n  enabled: false\n']);
    assert.equal(collector.rules.get('Shell')!.enabled, false);
    assert.equal(warnings[0]!.code, 'LOAD_DEPRECATED_ITEM');
  });

  it('a later file redefines a rule in place (keeps its order)', () => {
    const { collector } = read(['a.yaml', BASE + '- rule: Other\n  desc: d\n  condition: spawned\n  output: o\n  priority: info\n'], ['b.yaml', BASE.split('- rule:')[0] + '- rule: Shell\n  desc: again\n  condition: spawned\n  output: x\n  priority: debug\n']);
    assert.deepEqual([...collector.rules.keys()], ['Shell', 'Other']);
    assert.equal(collector.rules.get('Shell')!.desc, 'again');
  });
});

describe('reader: override rules (which key allows what)', () => {
  const cases: [string, string][] = [
    ['priority: append', "Key 'priority' cannot be appended to, use 'replace' instead"],
    ['enabled: append', "Key 'enabled' cannot be appended to, use 'replace' instead"],
    ['source: replace', "Key 'source' cannot be replaced"],
    ['source: append', "Key 'source' cannot be appended to, use 'replace' instead"],
    ['condition: merge', "Invalid override operation for key 'condition': 'merge'. Allowed values are: append replace "],
  ];
  for (const [op, message] of cases) {
    it(`rejects ${op}`, () => {
      const key = op.split(':')[0]!;
      const value = key === 'priority' ? 'error' : key === 'enabled' ? 'true' : key === 'source' ? 'syscall' : 'x';
      const { errors } = read(['a.yaml', BASE], ['b.yaml', `- rule: Shell\n  ${key}: ${value}\n  override:\n    ${op}\n`]);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.message, message);
      assert.equal(errors[0]!.position.file, 'b.yaml');
      assert.equal(errors[0]!.position.line, 4);
    });
  }

  it('a key present without an override entry is an error at that key', () => {
    const { errors } = read(['a.yaml', BASE], ['b.yaml', '- rule: Shell\n  condition: and x\n  output: y\n  override:\n    condition: append\n']);
    assert.equal(errors[0]!.message, "Unexpected key 'output': no corresponding entry under 'override' is defined.");
    assert.equal(errors[0]!.position.line, 3);
    assert.equal(errors[0]!.position.col, 11);
  });

  it('an override entry for a key that is absent is an error', () => {
    const { errors } = read(['a.yaml', BASE], ['b.yaml', '- rule: Shell\n  desc: d\n  override:\n    desc: replace\n    output: append\n']);
    assert.equal(errors[0]!.message, "An append override for 'output' was specified but 'output' is not defined");
  });

  it('override and append: true together are refused', () => {
    const { errors } = read(['a.yaml', BASE], ['b.yaml', '- rule: Shell\n  condition: x\n  append: true\n  override:\n    condition: append\n']);
    assert.match(errors[0]!.message, /Keys 'override' and 'append: true' cannot be used together/);
  });

  it('appending to a rule that does not exist is an error', () => {
    const { errors } = read(['b.yaml', '- rule: Nope\n  condition: x\n  override:\n    condition: append\n']);
    assert.match(errors[0]!.message, /no rule by that name already exists/);
  });

  it('lists and macros allow only items / condition', () => {
    const { errors } = read(['a.yaml', BASE], ['b.yaml', '- list: shells\n  items: [a]\n  override:\n    condition: append\n']);
    assert.equal(errors[0]!.message, "Key 'condition' cannot be appended to, use 'replace' instead");
  });
});

describe('reader: exceptions', () => {
  const rule = (exceptions: string) => `- rule: R\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: info\n  exceptions:\n${exceptions}`;

  it('tuple form gets "=" comps by default, scalar form "in"', () => {
    const { collector, diags } = read(['e.yaml', rule(
      '    - name: pairs\n      fields: [proc.name, fd.name]\n      values: [[cat, /etc/x]]\n' +
      '    - name: names\n      fields: proc.name\n      values: [a, b]\n',
    )]);
    assert.deepEqual(diags.all, []);
    const [pairs, names] = collector.rules.get('R')!.exceptions;
    assert.deepEqual(pairs!.comps!.items.map((c) => c.item), ['=', '=']);
    assert.equal(names!.comps!.item, 'in');
  });

  it('fields and comps of different lengths', () => {
    const { errors } = read(['e.yaml', rule('    - name: x\n      fields: [proc.name, fd.name]\n      comps: [=]\n      values: []\n')]);
    assert.equal(errors[0]!.message, 'Fields and comps lists must have equal length');
    assert.equal(errors[0]!.position.line, 7);
  });

  it('a scalar field with a non-list comparison', () => {
    const { errors } = read(['e.yaml', rule('    - name: x\n      fields: proc.name\n      comps: startswith\n      values: [a]\n')]);
    assert.equal(errors[0]!.message, 'When fields is a single value, comps must be one of (in, pmatch, intersects)');
  });

  it('an unknown comparison operator', () => {
    const { errors } = read(['e.yaml', rule('    - name: x\n      fields: [proc.name]\n      comps: [like]\n      values: [[a]]\n')]);
    assert.equal(errors[0]!.message, "'like' is not a supported comparison operator");
  });

  it('appending values to an existing exception, and a new exception', () => {
    const base = rule('    - name: names\n      fields: proc.name\n      values: [a]\n');
    const more = '- rule: R\n  exceptions:\n    - name: names\n      values: [b]\n    - name: files\n      fields: [fd.name]\n      values: [[/tmp/x]]\n  override:\n    exceptions: append\n';
    const { collector, diags } = read(['a.yaml', base], ['b.yaml', more]);
    assert.deepEqual(diags.all, []);
    const [names, files] = collector.rules.get('R')!.exceptions;
    assert.deepEqual(names!.values.map((v) => v.item), ['a', 'b']);
    assert.equal(files!.name, 'files');
  });

  it('appending fields to an existing exception is refused', () => {
    const base = rule('    - name: names\n      fields: proc.name\n      values: [a]\n');
    const more = '- rule: R\n  exceptions:\n    - name: names\n      fields: proc.pname\n      values: [b]\n  override:\n    exceptions: append\n';
    const { errors } = read(['a.yaml', base], ['b.yaml', more]);
    assert.equal(errors[0]!.message, 'Can not append exception fields to existing exception, only values');
  });

  it('duplicate exception names', () => {
    const { errors } = read(['e.yaml', rule('    - name: x\n      fields: proc.name\n      values: [a]\n    - name: x\n      fields: proc.name\n      values: [b]\n')]);
    assert.equal(errors[0]!.message, 'Exceptions names in the same object must be unique');
  });
});

describe('reader: requirements, unknown items and keys', () => {
  it('container and k8smeta plugins are built in', () => {
    const { diags } = read(['p.yaml', '- required_plugin_versions:\n  - name: container\n    version: 0.4.0\n  - name: k8smeta\n    version: 0.1.0\n']);
    assert.deepEqual(diags.all, []);
  });

  it('another plugin is a clear error at its entry', () => {
    const { errors } = read(['p.yaml', '- required_plugin_versions:\n  - name: cloudtrail\n    version: 0.10.0\n']);
    assert.equal(errors[0]!.code, 'LOAD_ERR_YAML_VALIDATE');
    assert.match(errors[0]!.message, /Plugin 'cloudtrail' required by the rules is not available/);
    assert.equal(errors[0]!.position.line, 2);
    assert.equal(errors[0]!.position.col, 5);
  });

  it('an alternative we provide satisfies the requirement', () => {
    const { diags } = read(['p.yaml', '- required_plugin_versions:\n  - name: k8saudit\n    version: 0.1.0\n    alternatives:\n      - name: container\n        version: 0.1.0\n']);
    assert.deepEqual(diags.all, []);
  });

  it('engine versions: ours satisfies 0.57.0 and the legacy integer form, not 0.99.0', () => {
    assert.deepEqual(read(['v.yaml', '- required_engine_version: 0.57.0\n- required_engine_version: 12\n']).diags.all, []);
    const { errors } = read(['v.yaml', '- required_engine_version: 0.99.0\n']);
    assert.equal(errors[0]!.message, 'Rules require engine version 0.99.0, but engine version is 0.57.0');
  });

  it('unknown keys and top-level items are warnings with their positions', () => {
    const { warnings, errors } = read(['k.yaml', BASE + '  colour: red\n- frobnicate: yes\n']);
    assert.deepEqual(errors, []);
    assert.deepEqual(warnings.map((w) => [w.code, w.message, w.position.line, w.position.col]), [
      ['LOAD_UNKNOWN_KEY', "Unknown key 'colour'", 12, 3],
      ['LOAD_UNKNOWN_ITEM', 'Unknown top level item', 13, 3],
    ]);
  });
});

describe('reader: errors point at the spot, with a caret', () => {
  it('an invalid priority', () => {
    const { errors } = read(['bad.yaml', BASE.replace('WARNING', 'LOUD')]);
    assert.equal(formatDiagnostic(errors[0]!), [
      "bad.yaml:10:13: error: Invalid priority (rule 'Shell') [LOAD_ERR_YAML_VALIDATE]",
      '    priority: LOUD',
      '              ^',
    ].join('\n'));
  });

  it('a missing key names the item', () => {
    const { errors } = read(['bad.yaml', '- rule: R\n  desc: d\n  output: o\n  priority: info\n']);
    assert.equal(errors[0]!.message, "Item has no mapping for key 'condition'");
    assert.equal(errors[0]!.item, "rule 'R'");
    assert.equal(errors[0]!.position.line, 1);
  });

  it('broken YAML', () => {
    const { errors } = read(['bad.yaml', '- rule: R\n  desc: [unclosed\n']);
    assert.equal(errors[0]!.code, 'LOAD_ERR_YAML_PARSE');
    assert.equal(errors[0]!.position.file, 'bad.yaml');
  });

  it('not a list of items', () => {
    const { errors } = read(['bad.yaml', 'rule: R\n']);
    assert.equal(errors[0]!.message, 'Rules content is not yaml array of objects');
  });

  it('an invalid macro name', () => {
    const { errors } = read(['bad.yaml', '- macro: 9lives\n  condition: evt.num > 0\n']);
    assert.match(errors[0]!.message, /Macro has an invalid name/);
  });

  it('the first error stops its file; other files still read', () => {
    const { errors, collector } = read(['a.yaml', '- rule: R\n  enabled: maybe\n- list: later\n  items: []\n'], ['b.yaml', '- list: other\n  items: [x]\n']);
    assert.equal(errors.length, 1);
    assert.equal(collector.lists.has('later'), false);
    assert.equal(collector.lists.has('other'), true);
  });
});
