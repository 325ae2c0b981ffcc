import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { Alert } from '@peregrine/event';
import { ResponseRulesError } from '../../src/errors.ts';
import { parseResponseRules } from '../../src/responses/rules.ts';

const alert = (over: Partial<Alert> = {}): Alert => ({ uuid: 'u', time: 't', rule: 'Terminal shell in container', priority: 'Warning', source: 'syscall',
  hostname: 'h', output: 'o', tags: ['shell', 'container', 'mitre_execution'], output_fields: { 'k8s.ns.name': 'prod', 'proc.name': 'bash' }, ...over });
const rules = (yaml: string) => parseResponseRules(parse(yaml), 'responses.yaml');
const matcher = (match: string) => rules(`- rule: r\n  match: ${match}\n  actions: [{ action: k, actionner: process:kill }]`)[0]!.matches;

test('priority comparisons: greater means more severe', () => {
  const cases: Array<[string, string, boolean]> = [
    ['>=Warning', 'Warning', true], ['>=Warning', 'Critical', true], ['>=Warning', 'Notice', false],
    ['>Warning', 'Warning', false], ['>Warning', 'Error', true], ['<=Notice', 'Debug', true], ['<=Notice', 'Warning', false],
    ['<Error', 'Warning', true], ['=Critical', 'Critical', true], ['Critical', 'Error', false], ['!=debug', 'Debug', false], ['>= info', 'Notice', true],
  ];
  for (const [cmp, p, want] of cases) assert.equal(matcher(`{ priority: "${cmp}" }`)(alert({ priority: p })), want, `${cmp} vs ${p}`);
});

test('rule names, tags (any item; an item with commas needs all) and output_fields (all must hold)', () => {
  assert.equal(matcher('{ rules: [Other, Terminal shell in container] }')(alert()), true);
  assert.equal(matcher('{ rules: [Other] }')(alert()), false);
  assert.equal(matcher('{ tags: ["shell,container"] }')(alert()), true);
  assert.equal(matcher('{ tags: ["shell,network"] }')(alert()), false);
  assert.equal(matcher('{ tags: ["shell,network", mitre_execution] }')(alert()), true);
  assert.equal(matcher('{ output_fields: [k8s.ns.name=prod, proc.name!=sshd] }')(alert()), true);
  assert.equal(matcher('{ output_fields: [k8s.ns.name=prod, proc.name!=bash] }')(alert()), false);
  assert.equal(matcher('{ output_fields: [k8s.pod.name=] }')(alert()), true, 'a missing field compares as empty');
  assert.equal(matcher('{ rules: [Terminal shell in container], priority: ">=Error" }')(alert()), false, 'every condition must hold');
});

test('named actions are reused with parameter overrides; flags default to continue, no dry run, stop on error', () => {
  const [r] = rules(`
- action: Label
  actionner: kubernetes:label
  parameters: { labels: { a: "1" } }
- rule: r
  match: { rules: [x] }
  actions:
    - action: Label
      parameters: { labels: { b: null } }
`);
  assert.deepEqual(r!.actions, [{ name: 'Label', actionner: 'kubernetes:label', parameters: { labels: { b: null } } }]);
  assert.deepEqual([r!.dryRun, r!.continue, r!.ignoreErrors], [false, true, false]);
});

test('bad files are errors naming the place', () => {
  const fails = (yaml: string, path: string) =>
    assert.throws(() => rules(yaml), (e: unknown) => e instanceof ResponseRulesError && e.path === path && e.file === 'responses.yaml', path);
  fails('{ a: 1 }', '');
  fails('- 3', '[0]');
  fails('- { name: x }', '[0]');
  fails('- { action: a, actionner: shell:exec }', '[0].actionner');
  fails('- { action: a, actionner: kubernetes:label }', '[0].parameters.labels');
  fails('- { action: a, actionner: http:webhook }', '[0].parameters.url');
  fails('- { action: a, actionner: process:kill, parameters: { signal: 9 } }', '[0].parameters.signal');
  fails('- { rule: r, match: { rules: [x] }, actions: [{ action: Nope }] }', '[0].actions[0].action');
  fails('- { rule: r, match: { priority: ">=Loud" }, actions: [{ action: k, actionner: process:kill }] }', '[0].match.priority');
  fails('- { rule: r, match: { output_fields: [justaname] }, actions: [{ action: k, actionner: process:kill }] }', '[0].match.output_fields[0]');
  fails('- { rule: r, match: { rule: x }, actions: [{ action: k, actionner: process:kill }] }', '[0].match.rule');
  fails('- { rule: r, match: {}, actions: [] }', '[0].actions');
  fails('- { rule: r, match: {}, dry_run: "yes", actions: [{ action: k, actionner: process:kill }] }', '[0].dry_run');
});
