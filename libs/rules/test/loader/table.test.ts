/**
 * Table-driven load cases, through the whole loader (read, collect, compile): lists and macros, append and
 * override with what each key allows, exceptions in both forms, selection, and errors with their positions.
 * Each case lists its files in load order and what a user would see: the diagnostics (severity, code, message,
 * line, column), the rules that loaded with their state, and the condition text Falco would compile.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkRules, parseRulesConfig } from '../../src/index.ts';

interface Case {
  name: string;
  files: string[];
  config?: Record<string, unknown>;
  /** [severity, code, message (substring), file index, line, col] */
  diags?: [string, string, string, number, number, number][];
  /** rule name → enabled (after configuration), in load order */
  rules?: [string, boolean][];
  /** rule name → compiled condition text */
  condition?: [string, string];
  /** rule name → output text */
  output?: [string, string];
  priority?: [string, string];
  tags?: [string, string[]];
}

const R = (name: string, condition = 'evt.type = execve', extra = '') =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: out %proc.name\n  priority: warning\n${extra}`;
const L = '- list: shells\n  items: [bash, sh]\n';
const M = '- macro: spawned\n  condition: evt.type = execve\n';
const USE = R('Use', 'spawned and proc.name in (shells)');

const CASES: Case[] = [
  // lists
  { name: 'list used by a rule', files: [L + M + USE], rules: [['Use', true]], condition: ['Use', 'spawned and proc.name in (shells)'] },
  { name: 'list items appended by override', files: [L + M + USE, '- list: shells\n  items: [zsh]\n  override:\n    items: append\n'], rules: [['Use', true]] },
  { name: 'list replaced by override', files: [L + M + USE, '- list: shells\n  items: [zsh]\n  override:\n    items: replace\n'], rules: [['Use', true]] },
  { name: 'list append: true is deprecated', files: [L + M + USE, '- list: shells\n  items: [zsh]\n  append: true\n'], diags: [['warning', 'LOAD_DEPRECATED_ITEM', "'append' key is deprecated", 1, 1, 3]] },
  { name: 'list append to a missing list', files: ['- list: nope\n  items: [a]\n  override:\n    items: append\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', 'no list by that name already exists', 0, 1, 3]] },
  { name: 'list unused', files: [L + M + R('X', 'spawned')], diags: [['warning', 'LOAD_UNUSED_LIST', 'List not referred to by any other rule/macro', 0, 1, 3]] },
  { name: 'list used only by another list counts as used', files: [L + '- list: more\n  items: [shells, zsh]\n' + M + R('X', 'spawned and proc.name in (more)')], diags: [] },
  { name: 'list items must be a sequence', files: ['- list: x\n  items: bash\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', 'Value is not a sequence', 0, 2, 10]] },
  { name: 'list without items', files: ['- list: x\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Item has no mapping for key 'items'", 0, 1, 3]] },
  { name: 'list with a bad name', files: ['- list: "a b"\n  items: []\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', 'List has an invalid name', 0, 1, 9]] },
  { name: 'empty list in a condition', files: ['- list: none\n  items: []\n' + R('X', 'evt.type = execve and not proc.name in (none)')], rules: [['X', true]] },

  // macros
  { name: 'macro condition appended', files: [L + M + USE, '- macro: spawned\n  condition: and evt.dir = <\n  override:\n    condition: append\n'], rules: [['Use', true]] },
  { name: 'macro append: true is deprecated', files: [L + M + USE, '- macro: spawned\n  condition: and evt.dir = <\n  append: true\n'], diags: [['warning', 'LOAD_DEPRECATED_ITEM', "'append' key is deprecated", 1, 1, 3]] },
  { name: 'macro replaced by redefinition', files: [L + M + USE, '- macro: spawned\n  condition: evt.type = execveat\n'], rules: [['Use', true]] },
  { name: 'macro unused', files: [M + L + R('X', 'proc.name in (shells) and evt.type = open')], diags: [['warning', 'LOAD_UNUSED_MACRO', 'Macro not referred to by any other rule/macro', 0, 1, 3]] },
  { name: 'macro used only by an unused macro', files: [M + '- macro: outer\n  condition: spawned\n' + R('X')], diags: [['warning', 'LOAD_UNUSED_MACRO', 'Macro not referred to', 0, 3, 3]] },
  { name: 'macro referring to an undefined macro', files: ['- macro: m\n  condition: evt.type = open and ghost\n' + R('X', 'm')], diags: [['error', 'LOAD_ERR_COMPILE_CONDITION', "Undefined macro 'ghost' used in filter.", 0, 2, 34]] },
  { name: 'macro referring to a macro defined after it', files: ['- macro: outer\n  condition: inner\n- macro: inner\n  condition: evt.type = open\n' + R('X', 'outer')], diags: [['error', 'LOAD_ERR_COMPILE_CONDITION', "Undefined macro 'inner' used in filter.", 0, 2, 14]] },
  { name: 'macro appended after a later macro may use it', files: ['- macro: outer\n  condition: evt.type = open\n- macro: inner\n  condition: proc.name = a\n- macro: outer\n  condition: and inner\n  override:\n    condition: append\n' + R('X', 'outer')], rules: [['X', true]], condition: ['X', 'outer'] },
  { name: 'macro with a syntax error', files: ['- macro: m\n  condition: evt.type = = open\n' + R('X', 'm')], diags: [['error', 'LOAD_ERR_COMPILE_CONDITION', '', 0, 2, 25]] },
  { name: 'macro name must be an identifier', files: ['- macro: my-macro\n  condition: evt.num > 0\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', 'Macro has an invalid name', 0, 1, 10]] },
  { name: 'macro without condition', files: ['- macro: m\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Item has no mapping for key 'condition'", 0, 1, 3]] },
  { name: 'macro overriding output is not allowed', files: [M + USE + L, '- macro: spawned\n  condition: x\n  override:\n    output: append\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Key 'output' cannot be appended to", 1, 4, 5]] },

  // rules: append and replace
  { name: 'rule condition appended', files: [L + M + USE, '- rule: Use\n  condition: and proc.tty != 0\n  override:\n    condition: append\n'], condition: ['Use', 'spawned and proc.name in (shells) and proc.tty != 0'] },
  { name: 'rule condition append: true (deprecated)', files: [L + M + USE, '- rule: Use\n  condition: and proc.tty != 0\n  append: true\n'], condition: ['Use', 'spawned and proc.name in (shells) and proc.tty != 0'], diags: [['warning', 'LOAD_DEPRECATED_ITEM', "'append' key is deprecated", 1, 1, 3]] },
  { name: 'rule condition replaced', files: [L + M + USE, '- rule: Use\n  condition: spawned\n  override:\n    condition: replace\n'], condition: ['Use', 'spawned'], diags: [['warning', 'LOAD_UNUSED_LIST', 'List not referred', 0, 1, 3]] },
  { name: 'rule output appended', files: [L + M + USE, '- rule: Use\n  output: tty=%proc.tty\n  override:\n    output: append\n'], output: ['Use', 'out %proc.name tty=%proc.tty'] },
  { name: 'rule output replaced', files: [L + M + USE, '- rule: Use\n  output: new %fd.name\n  override:\n    output: replace\n'], output: ['Use', 'new %fd.name'] },
  { name: 'rule priority replaced', files: [L + M + USE, '- rule: Use\n  priority: critical\n  override:\n    priority: replace\n'], priority: ['Use', 'Critical'] },
  { name: 'rule tags appended', files: [L + M + USE + '  tags: [b]\n', '- rule: Use\n  tags: [a]\n  override:\n    tags: append\n'], tags: ['Use', ['a', 'b']] },
  { name: 'rule tags replaced', files: [L + M + USE + '  tags: [b]\n', '- rule: Use\n  tags: [c]\n  override:\n    tags: replace\n'], tags: ['Use', ['c']] },
  { name: 'rule enabled replaced', files: [L + M + USE, '- rule: Use\n  enabled: false\n  override:\n    enabled: replace\n'], rules: [['Use', false]] },
  { name: 'rule enabled alone (deprecated)', files: [L + M + USE, '- rule: Use\n  enabled: false\n'], rules: [['Use', false]], diags: [['warning', 'LOAD_DEPRECATED_ITEM', "standalone 'enabled' key usage is deprecated", 1, 1, 3]] },
  { name: 'rule enabled alone for a missing rule', files: ['- rule: Ghost\n  enabled: false\n'], diags: [['warning', 'LOAD_DEPRECATED_ITEM', "standalone 'enabled' key", 0, 1, 3], ['error', 'LOAD_ERR_YAML_VALIDATE', "Rule has 'enabled' key but no rule by that name already exists", 0, 1, 3]] },
  { name: 'rule priority cannot be appended', files: [L + M + USE, '- rule: Use\n  priority: info\n  override:\n    priority: append\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Key 'priority' cannot be appended to, use 'replace' instead", 1, 4, 5]] },
  { name: 'rule enabled cannot be appended', files: [L + M + USE, '- rule: Use\n  enabled: true\n  override:\n    enabled: append\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Key 'enabled' cannot be appended to", 1, 4, 5]] },
  { name: 'rule warn_evttypes cannot be appended', files: [L + M + USE, '- rule: Use\n  warn_evttypes: false\n  override:\n    warn_evttypes: append\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Key 'warn_evttypes' cannot be appended to", 1, 4, 5]] },
  { name: 'rule skip-if-unknown-filter cannot be appended', files: [L + M + USE, '- rule: Use\n  skip-if-unknown-filter: true\n  override:\n    skip-if-unknown-filter: append\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Key 'skip-if-unknown-filter' cannot be appended to", 1, 4, 5]] },
  { name: 'rule source cannot be replaced', files: [L + M + USE, '- rule: Use\n  source: syscall\n  override:\n    source: replace\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Key 'source' cannot be replaced", 1, 4, 5]] },
  { name: 'rule name cannot be replaced', files: [L + M + USE, '- rule: Use\n  override:\n    rule: replace\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Key 'rule' cannot be replaced", 1, 3, 5]] },
  { name: 'rule warn_evttypes replaced silences the gate warning', files: [R('Any', 'proc.name = x'), '- rule: Any\n  warn_evttypes: false\n  override:\n    warn_evttypes: replace\n'], diags: [] },
  { name: 'rule replace of a missing rule', files: ['- rule: Ghost\n  desc: x\n  override:\n    desc: replace\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', 'no rule by that name already exists', 0, 1, 3]] },
  { name: 'rule redefined with another source', files: [R('X'), R('X', 'evt.type = execve', '  source: k8s_audit\n')], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', 'Rule has been re-defined with a different source', 1, 1, 3]] },
  { name: 'rule with an unknown source is skipped', files: [R('Audit', 'ka.verb = create', '  source: k8s_audit\n')], rules: [], diags: [['warning', 'LOAD_UNKNOWN_SOURCE', 'Unknown source k8s_audit, skipping', 0, 1, 3]] },
  { name: 'rule with an unknown key', files: [R('X', 'evt.type = execve', '  severity: high\n')], diags: [['warning', 'LOAD_UNKNOWN_KEY', "Unknown key 'severity'", 0, 6, 3]] },
  { name: 'rule capture keys are accepted', files: [R('X', 'evt.type = execve', '  capture: true\n  capture_duration: 5000\n')], rules: [['X', true]] },
  { name: 'rule missing desc', files: ['- rule: X\n  condition: evt.type = open\n  output: o\n  priority: info\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Item has no mapping for key 'desc'", 0, 1, 3]] },
  { name: 'rule empty output', files: ['- rule: X\n  desc: d\n  condition: evt.type = open\n  output:\n  priority: info\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Mapping for key 'output' is empty", 0, 4, 10]] },
  { name: 'output %container.info is dropped with a warning', files: [R('X').replace('out %proc.name', 'out %proc.name %container.info')], output: ['X', 'out %proc.name '], diags: [['warning', 'LOAD_DEPRECATED_ITEM', '%container.info is deprecated', 0, 1, 3]] },
  { name: 'rule with priority in any case', files: [R('X').replace('warning', 'WaRnInG')], priority: ['X', 'Warning'] },
  { name: 'rule with enabled not a boolean', files: [R('X', 'evt.type = execve', '  enabled: maybe\n')], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "'maybe' is not a boolean", 0, 6, 12]] },

  // exceptions
  {
    name: 'exception tuple form',
    files: [R('X', 'evt.type = open', '  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      values: [[cat, /etc/x]]\n')],
    condition: ['X', '(evt.type = open) and not (( proc.name = cat and  fd.name = /etc/x))'],
  },
  {
    name: 'exception scalar form',
    files: [R('X', 'evt.type = open', '  exceptions:\n    - name: e\n      fields: proc.name\n      values: [cat, vi]\n')],
    condition: ['X', '(evt.type = open) and not (proc.name in (cat, vi))'],
  },
  {
    name: 'exception with explicit comps',
    files: [R('X', 'evt.type = open', '  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      comps: [=, startswith]\n      values: [[cat, /tmp/]]\n')],
    condition: ['X', '(evt.type = open) and not (( proc.name = cat and  fd.name startswith /tmp/))'],
  },
  {
    name: 'exception values appended by a later file',
    files: [
      R('X', 'evt.type = open', '  exceptions:\n    - name: e\n      fields: proc.name\n      values: [cat]\n'),
      '- rule: X\n  exceptions:\n    - name: e\n      values: [vi]\n  override:\n    exceptions: append\n',
    ],
    condition: ['X', '(evt.type = open) and not (proc.name in (cat, vi))'],
  },
  {
    name: 'exceptions replaced by a later file',
    files: [
      R('X', 'evt.type = open', '  exceptions:\n    - name: e\n      fields: proc.name\n      values: [cat]\n'),
      '- rule: X\n  exceptions:\n    - name: f\n      fields: [fd.name]\n      values: [[/tmp/a]]\n  override:\n    exceptions: replace\n',
    ],
    condition: ['X', '(evt.type = open) and not (( fd.name = /tmp/a))'],
  },
  {
    name: 'exception with an unknown field is an error at the exception',
    files: [R('X', 'evt.type = open', '  exceptions:\n    - name: e\n      fields: [proc.nmae]\n      values: [[cat]]\n')],
    diags: [['error', 'LOAD_ERR_COMPILE_CONDITION', "unknown field 'proc.nmae'", 0, 7, 7]],
  },
  {
    name: 'exception values of the wrong length',
    files: [R('X', 'evt.type = open', '  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      values: [[cat]]\n')],
    diags: [['error', 'LOAD_ERR_VALIDATE', 'Fields and values lists must have equal length', 0, 7, 7]],
  },
  {
    name: 'exception scalar field with tuple values',
    files: [R('X', 'evt.type = open', '  exceptions:\n    - name: e\n      fields: proc.name\n      values: [[cat]]\n')],
    diags: [['error', 'LOAD_ERR_VALIDATE', 'Expected values array to contain a list of strings', 0, 7, 7]],
  },
  {
    name: 'exception that is not a mapping',
    files: [R('X', 'evt.type = open', '  exceptions:\n    - just-a-name\n')],
    diags: [['error', 'LOAD_ERR_YAML_VALIDATE', 'Rule exception must be a mapping', 0, 7, 7]],
  },

  // configuration
  { name: 'disable by glob', files: [R('Alpha one') + R('Alpha two') + R('Beta')], config: { rule_selection: [{ disable: { rule: 'Alpha*' } }] }, rules: [['Alpha one', false], ['Alpha two', false], ['Beta', true]] },
  { name: 'glob with ? and []', files: [R('r1') + R('r2') + R('rx')], config: { rule_selection: [{ disable: { rule: 'r[0-9]' } }, { enable: { rule: 'r?' } }, { disable: { rule: 'rx' } }] }, rules: [['r1', true], ['r2', true], ['rx', false]] },
  { name: 'disable by tag then enable one by name', files: [R('A', 'evt.type = open', '  tags: [noisy]\n') + R('B', 'evt.type = open', '  tags: [noisy]\n')], config: { rule_selection: [{ disable: { tag: 'noisy' } }, { enable: { rule: 'B' } }] }, rules: [['A', false], ['B', true]] },
  { name: 'enable a rule disabled in its file', files: [R('Off', 'evt.type = open', '  enabled: false\n')], config: { rule_selection: [{ enable: { rule: 'Off' } }] }, rules: [['Off', true]] },
  { name: 'minimum priority', files: [R('W') + R('D').replace('warning', 'debug') + R('E').replace('warning', 'emergency')], config: { min_priority: 'warning' }, rules: [['W', true], ['D', false], ['E', true]] },

  // errors with positions in conditions and outputs
  { name: 'unknown field in a one-line condition', files: [R('X', 'evt.type = open and proc.nmae = a')], diags: [['error', 'LOAD_ERR_COMPILE_CONDITION', "unknown field 'proc.nmae'", 0, 3, 34]] },
  { name: 'unknown field in a quoted condition', files: [R('X', '"evt.type = open and fd.nme = a"')], diags: [['error', 'LOAD_ERR_COMPILE_CONDITION', "unknown field 'fd.nme'", 0, 3, 35]] },
  { name: 'unknown field in the output', files: [R('X').replace('out %proc.name', 'out %proc.name %fd.nmae')], diags: [['error', 'LOAD_ERR_COMPILE_OUTPUT', 'fd.nmae', 0, 4, 26]] },
  { name: 'undefined macro in a rule', files: [R('X', 'evt.type = open and nomacro')], diags: [['error', 'LOAD_ERR_COMPILE_CONDITION', "undefined macro 'nomacro'", 0, 3, 34]] },
  { name: 'unbalanced parenthesis', files: [R('X', 'evt.type = open and (proc.name = a')], diags: [['error', 'LOAD_ERR_COMPILE_CONDITION', "expected a ')'", 0, 3, 47]] },
  { name: 'operator a field cannot take', files: [R('X', 'evt.type = open and proc.tty contains 3')], diags: [['error', 'LOAD_ERR_COMPILE_CONDITION', "operator 'contains' not supported", 0, 3, 34]] },
  { name: 'skip-if-unknown-filter skips with a warning', files: [R('X', 'evt.type = open and nope.field = 1', '  skip-if-unknown-filter: true\n')], rules: [], diags: [['warning', 'LOAD_UNKNOWN_FILTER', "unknown field 'nope.field'", 0, 3, 34]] },
  { name: 'ungated rule warning at the rule', files: [R('X', 'proc.name = bash')], diags: [['warning', 'LOAD_NO_EVTTYPE', 'Rule matches too many evt.type values', 0, 1, 3]] },
  { name: 'errors in a second file name that file', files: [R('X'), R('Y', 'evt.type = open and proc.nmae = a')], diags: [['error', 'LOAD_ERR_COMPILE_CONDITION', "unknown field 'proc.nmae'", 1, 3, 34]] },
  { name: 'not a sequence at the top', files: ['rule: X\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', 'Rules content is not yaml array of objects', 0, 1, 1]] },
  { name: 'an item that is not a mapping', files: ['- just text\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', 'Unexpected element type', 0, 1, 3]] },
  { name: 'an unknown top-level item', files: ['- rulez: x\n'], diags: [['warning', 'LOAD_UNKNOWN_ITEM', 'Unknown top level item', 0, 1, 3]] },
  { name: 'an empty file', files: [''], rules: [], diags: [] },
  { name: 'several YAML documents', files: [R('X') + '---\n' + R('Y')], rules: [['X', true], ['Y', true]] },
  { name: 'a plugin we do not provide', files: ['- required_plugin_versions:\n    - name: json\n      version: 0.7.0\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Plugin 'json' required by the rules is not available", 0, 2, 7]] },
  { name: 'a malformed plugin version', files: ['- required_plugin_versions:\n    - name: container\n      version: latest\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Invalid required version 'latest' for plugin 'container'", 0, 2, 7]] },
  { name: 'a malformed engine version', files: ['- required_engine_version: new\n'], diags: [['error', 'LOAD_ERR_YAML_VALIDATE', "Unable to parse engine version 'new'", 0, 1, 28]] },
];

describe('loader table', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const names = c.files.map((_, i) => `f${i}.yaml`);
      const { ruleset, diagnostics } = checkRules(
        c.files.map((content, i) => ({ name: names[i]!, content })),
        parseRulesConfig(c.config ?? {}),
      );
      if (c.diags) {
        const got = diagnostics.map((d) => [d.severity, d.code, d.message, names.indexOf(d.position.file), d.position.line, d.position.col]);
        assert.equal(got.length, c.diags.length, JSON.stringify(got));
        c.diags.forEach((want, i) => {
          const g = got[i]!;
          assert.deepEqual([g[0], g[1], g[3], g[4], g[5]], [want[0], want[1], want[3], want[4], want[5]], JSON.stringify(g));
          assert.ok(String(g[2]).includes(want[2]), `${g[2]} should contain ${want[2]}`);
        });
      } else {
        assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
      }
      if (c.rules) assert.deepEqual(ruleset!.summaries().map((r) => [r.name, r.enabled]), c.rules);
      const find = (n: string) => ruleset!.rules.find((r) => r.name === n)!;
      if (c.condition) assert.equal(find(c.condition[0]).condition, c.condition[1]);
      if (c.output) assert.equal(find(c.output[0]).output, c.output[1]);
      if (c.priority) assert.equal(find(c.priority[0]).priority, c.priority[1]);
      if (c.tags) assert.deepEqual(find(c.tags[0]).tags, c.tags[1]);
    });
  }

  it('has at least 50 cases', () => assert.ok(CASES.length >= 50, String(CASES.length)));
});
