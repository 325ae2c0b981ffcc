/**
 * append_output (Falco 0.39+): config errors naming the entry and key, matching by source, tags and rule name,
 * extra text in the output line, extra fields only in output_fields, and ${ENV} expansion.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert } from '@peregrine/event';
import { expandEnv, loadRulesText, parseAppendOutput, parseRulesConfig, RulesConfigError } from '../../src/index.ts';
import { BatchBuilder } from './batch-builder.ts';

const RULES = `
- rule: Shell
  desc: a shell started
  condition: evt.type = execve and evt.dir = < and proc.name = bash
  output: shell started (shell=%proc.name container=%container.id)
  priority: NOTICE
  tags: [shell, container, mitre_execution]
- rule: Cat
  desc: cat started
  condition: evt.type = execve and evt.dir = < and proc.name = cat
  output: cat started
  priority: INFO
  tags: [container]
`;

function alertsFor(appendOutput: unknown, proc = 'bash'): Alert[] {
  const rules = loadRulesText([{ name: 'r.yaml', content: RULES }], parseRulesConfig({ append_output: appendOutput }));
  const b = new BatchBuilder();
  const c = b.container({ name: 'web' }, { nsName: 'shop', podName: 'web-1' });
  b.event('execve', { proc: b.proc({ name: proc, tty: 34816 }, [{ name: 'runc' }], c), args: {} });
  const out: Alert[] = [];
  rules.evaluate(b.batch, (a) => out.push(a));
  return out;
}

// container.id is libsinsp's short id: the first 12 characters.
const CONTAINER_ID = 'a1b2c3d4e5f6';

describe('append_output: config', () => {
  const error = (raw: unknown): string => {
    try {
      parseRulesConfig({ append_output: raw });
    } catch (e) {
      assert.ok(e instanceof RulesConfigError);
      return e.message;
    }
    return assert.fail('expected a RulesConfigError');
  };

  it('bad entries are errors naming the entry index and key', () => {
    assert.equal(error({ match: {} }), "rules config 'append_output': must be a list of { match, extra_output, extra_fields }");
    assert.equal(error(['x']), "rules config 'append_output[0]': must be a mapping with match, extra_output and/or extra_fields");
    assert.equal(error([{ match: { source: 'syscall' } }]), "rules config 'append_output[0]': needs extra_output or extra_fields");
    assert.equal(error([{ extra_output: 'a' }, { extra_output: 'b', extra_feilds: [] }]), "rules config 'append_output[1].extra_feilds': unknown key (expected match, extra_output, extra_fields)");
    assert.equal(error([{ match: { tag: 'x' }, extra_output: 'a' }]), "rules config 'append_output[0].match.tag': unknown key (expected source, tags, rule)");
    assert.equal(error([{ match: { tags: 'shell' }, extra_output: 'a' }]), "rules config 'append_output[0].match.tags': must be a list of tag names");
    assert.equal(error([{ match: { rule: 3 }, extra_output: 'a' }]), "rules config 'append_output[0].match.rule': must be a non-empty string");
    assert.equal(error([{ extra_output: ['a'] }]), "rules config 'append_output[0].extra_output': must be a format string");
    assert.match(error([{ extra_output: 'on cpu %evt.cpux' }]), /^rules config 'append_output\[0\]\.extra_output': .*unknown field 'evt\.cpux'/);
    assert.equal(error([{ extra_fields: 'k8s.pod.name' }]), "rules config 'append_output[0].extra_fields': must be a list of field names or { key: value }");
    assert.match(error([{ extra_fields: ['k8s.pod.name', 'k8s.pod.nmae'] }]), /^rules config 'append_output\[0\]\.extra_fields\[1\]': .*unknown field 'k8s\.pod\.nmae'/);
    assert.equal(error([{ extra_fields: ['proc.name and more'] }]), "rules config 'append_output[0].extra_fields[0]': 'proc.name and more' is not a field name");
    assert.equal(error([{ extra_fields: [{ a: '1', b: '2' }] }]), "rules config 'append_output[0].extra_fields[0]': must be a field name or a single { key: value } with a scalar value");
    assert.equal(error([{ extra_fields: [{ a: { nested: 1 } }] }]), "rules config 'append_output[0].extra_fields[0]': must be a field name or a single { key: value } with a scalar value");
  });

  it('parses match, text and fields of a valid entry', () => {
    const [e] = parseAppendOutput([{ match: { source: 'syscall', tags: ['shell'], rule: 'Shell' }, extra_output: ' on CPU %evt.cpu ', extra_fields: ['proc.aname[2]', { team: 'core' }] }]);
    assert.deepEqual(e!.match, { source: 'syscall', tags: ['shell'], rule: 'Shell' });
    assert.equal(e!.extraOutput, 'on CPU %evt.cpu');
    assert.deepEqual(e!.extraFields.map((f) => f.key), ['proc.aname[2]', 'team']);
    assert.deepEqual(parseAppendOutput([{ extra_output: 'x' }])[0]!.match, { source: null, tags: [], rule: null });
  });
});

describe('append_output: matching', () => {
  const appended = (match: unknown) => alertsFor([{ match, extra_output: 'pod=%k8s.pod.name' }], 'bash')[0]!.output.endsWith(' pod=web-1');

  it('no match key: every rule', () => assert.ok(appended(undefined)));
  it('by source', () => {
    assert.ok(appended({ source: 'syscall' }));
    assert.ok(!appended({ source: 'k8s_audit' }));
  });
  it('by tags: the rule must have every listed tag', () => {
    assert.ok(appended({ tags: ['shell'] }));
    assert.ok(appended({ tags: ['container', 'shell'] }));
    assert.ok(!appended({ tags: ['shell', 'network'] }));
  });
  it('by rule name, exactly', () => {
    assert.ok(appended({ rule: 'Shell' }));
    assert.ok(!appended({ rule: 'Cat' }));
    assert.ok(!appended({ rule: 'Shel*' }));
  });
  it('all given keys must hold', () => {
    assert.ok(appended({ source: 'syscall', tags: ['shell'], rule: 'Shell' }));
    assert.ok(!appended({ source: 'syscall', tags: ['shell'], rule: 'Cat' }));
  });
  it('an entry for one rule leaves the others alone', () => {
    const [cat] = alertsFor([{ match: { rule: 'Shell' }, extra_output: 'pod=%k8s.pod.name', extra_fields: ['k8s.ns.name'] }], 'cat');
    assert.equal(cat!.output, '10:36:52.123456789: Informational cat started');
    assert.deepEqual(Object.keys(cat!.output_fields), ['evt.time']);
  });
});

describe('append_output: what an alert carries', () => {
  it('extra_output is appended to the text in entry order, its fields in output_fields', () => {
    const [a] = alertsFor([
      { match: { tags: ['shell'] }, extra_output: 'ns=%k8s.ns.name' },
      { match: { source: 'syscall' }, extra_output: 'pod=%k8s.pod.name tty=%proc.tty' },
    ]);
    assert.equal(a!.output, `10:36:52.123456789: Notice shell started (shell=bash container=${CONTAINER_ID}) ns=shop pod=web-1 tty=34816`);
    assert.deepEqual(a!.output_fields, {
      'evt.time': 1_795_862_212_123_456_789n,
      'proc.name': 'bash',
      'container.id': CONTAINER_ID,
      'k8s.ns.name': 'shop',
      'k8s.pod.name': 'web-1',
      'proc.tty': 34816,
    });
  });

  it('extra_fields appear only in output_fields, typed; fields the output has keep their place', () => {
    const [a] = alertsFor([{ extra_fields: ['proc.tty', 'container.id', 'k8s.pod.name', 'container.image.tag', { team: 'core' }] }]);
    assert.equal(a!.output, `10:36:52.123456789: Notice shell started (shell=bash container=${CONTAINER_ID})`);
    assert.deepEqual(Object.entries(a!.output_fields), [
      ['evt.time', 1_795_862_212_123_456_789n],
      ['proc.name', 'bash'],
      ['container.id', CONTAINER_ID],
      ['proc.tty', 34816],
      ['k8s.pod.name', 'web-1'],
      ['container.image.tag', '1.2.3'],
      ['team', 'core'],
    ]);
  });

  it('a later entry replaces an earlier value for the same key', () => {
    const [a] = alertsFor([{ extra_fields: [{ team: 'core' }] }, { match: { tags: ['shell'] }, extra_fields: [{ team: 'shell-owners' }] }]);
    assert.equal(a!.output_fields.team, 'shell-owners');
  });

  it('literal values and extra_output expand ${ENV}; $${ stays literal; unset is empty', () => {
    process.env.PEREGRINE_TEST_CLUSTER = 'prod-eu1';
    delete process.env.PEREGRINE_TEST_UNSET;
    try {
      const [a] = alertsFor([{ extra_output: 'cluster=${PEREGRINE_TEST_CLUSTER}', extra_fields: [{ cluster: '${PEREGRINE_TEST_CLUSTER}' }, { raw: 'x$${HOME}y${PEREGRINE_TEST_UNSET}' }] }]);
      assert.ok(a!.output.endsWith(' cluster=prod-eu1'), a!.output);
      assert.equal(a!.output_fields.cluster, 'prod-eu1');
      assert.equal(a!.output_fields.raw, 'x${HOME}y');
    } finally {
      delete process.env.PEREGRINE_TEST_CLUSTER;
    }
    assert.equal(expandEnv('${A}-${B}', { A: '1' }), '1-');
  });
});
