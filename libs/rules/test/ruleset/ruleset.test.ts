/**
 * Loading and evaluating end to end: alerts in Falco's shape, the event-type index, configuration (selection,
 * minimum priority, rule_matching), compile errors with positions, and our default rules on the seed scenarios.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Alert } from '@peregrine/event';
import { checkRules, formatDiagnostic, loadRulesText, parseRulesConfig, RulesLoadError } from '../../src/index.ts';
import { BatchBuilder, NODE, O } from './batch-builder.ts';
import { UPSTREAM_STABLE_RULES, UPSTREAM_INCUBATING_RULES } from '../../../../tests/support/shared.ts';

const DEFAULT_RULES = new URL('../../../../rules/peregrine_rules.yaml', import.meta.url);

function evaluate(rules: ReturnType<typeof loadRulesText>, b: BatchBuilder): Alert[] {
  const out: Alert[] = [];
  rules.evaluate(b.batch, (a) => out.push(a));
  return out;
}

const SHELL_RULES = `
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type = execve and evt.dir = <
- rule: Shell
  desc: a shell started
  condition: spawned and proc.name in (shells)
  output: shell started (user=%user.name shell=%proc.name parent=%proc.pname tty=%proc.tty missing=%container.image.tag)
  priority: NOTICE
  tags: [zeta, alpha]
- rule: Open etc
  desc: opened below /etc
  condition: evt.type = openat and fd.name startswith /etc/
  output: open %fd.name
  priority: ERROR
  tags: [files]
`;

function shellBatch(name = 'bash', tty = 34816) {
  const b = new BatchBuilder();
  const p = b.proc({ name, tty, user: 'alice', args: ['-i'] }, [{ name: 'sshd' }]);
  b.event('execve', { proc: p, args: { exe: name } });
  return b;
}

describe('ruleset: alerts in Falco JSON shape', () => {
  it('builds time, output, priority, tags, typed output_fields and a uuid', () => {
    const rules = loadRulesText([{ name: 's.yaml', content: SHELL_RULES }]);
    const [alert, ...more] = evaluate(rules, shellBatch());
    assert.equal(more.length, 0);
    assert.equal(alert!.time, '2026-11-28T10:36:52.123456789Z');
    assert.equal(alert!.rule, 'Shell');
    assert.equal(alert!.priority, 'Notice');
    assert.equal(alert!.source, 'syscall');
    assert.equal(alert!.hostname, NODE);
    assert.equal(alert!.output, '10:36:52.123456789: Notice shell started (user=alice shell=bash parent=sshd tty=34816 missing=<NA>)');
    assert.deepEqual(alert!.tags, ['alpha', 'zeta']);
    assert.deepEqual(alert!.output_fields, {
      'evt.time': 1_795_862_212_123_456_789n,
      'user.name': 'alice',
      'proc.name': 'bash',
      'proc.pname': 'sshd',
      'proc.tty': 34816,
      'container.image.tag': null,
    });
    assert.match(alert!.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('the uuid is the same when the same batch is evaluated again by a fresh load, and differs per event', () => {
    const a1 = evaluate(loadRulesText([{ name: 's.yaml', content: SHELL_RULES }]), shellBatch())[0]!;
    const a2 = evaluate(loadRulesText([{ name: 's.yaml', content: SHELL_RULES }]), shellBatch())[0]!;
    assert.equal(a1.uuid, a2.uuid);
    const b = shellBatch();
    b.event('execve', { proc: 1, args: { exe: 'bash' } });
    const [x, y] = evaluate(loadRulesText([{ name: 's.yaml', content: SHELL_RULES }]), b);
    assert.notEqual(x!.uuid, y!.uuid);
  });

  it('time_format_iso_8601 changes the output prefix as in Falco', () => {
    const rules = loadRulesText([{ name: 's.yaml', content: SHELL_RULES }], parseRulesConfig({ time_format_iso_8601: true }));
    const [alert] = evaluate(rules, shellBatch());
    assert.match(alert!.output, /^2026-11-28T10:36:52\.123456789\+0000: Notice shell started/);
  });
});

describe('ruleset: a malformed event', () => {
  it('goes to onError and the rest of the batch still runs; without onError it throws', () => {
    const rules = loadRulesText([{ name: 's.yaml', content: SHELL_RULES }]);
    const b = shellBatch();
    b.event('execve', { proc: 1, args: {} });
    b.batch.events[0]!.ts = undefined as unknown as bigint;
    const errors: number[] = [];
    const alerts: Alert[] = [];
    assert.equal(rules.evaluate(b.batch, (a) => alerts.push(a), (_e, ev) => errors.push(ev.num)), 1);
    assert.deepEqual([alerts.length, errors], [1, [b.batch.events[0]!.num]]);
    assert.throws(() => rules.evaluate(b.batch, () => {}), TypeError);
  });
});

describe('ruleset: event-type index', () => {
  it('an event meets only rules gated on its type', () => {
    const rules = loadRulesText([{ name: 's.yaml', content: SHELL_RULES }]);
    const b = new BatchBuilder();
    const p = b.proc({ name: 'bash' });
    // an openat by bash: "Shell" would match on proc.name alone, but is gated on execve
    b.event('openat', { proc: p, fd: b.fd({ name: '/etc/passwd' }), args: { name: '/etc/passwd', flags: O.RDONLY } });
    assert.deepEqual(evaluate(rules, b).map((a) => a.rule), ['Open etc']);
  });

  it('eventTypes() is the union of the gates, null when a rule is ungated', () => {
    const rules = loadRulesText([{ name: 's.yaml', content: SHELL_RULES }]);
    assert.deepEqual(rules.eventTypes(), ['execve', 'openat']);
    const ungated = checkRules([{ name: 'u.yaml', content: SHELL_RULES + '- rule: Any\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: info\n' }]);
    assert.equal(ungated.ruleset!.eventTypes(), null);
    const w = ungated.diagnostics.find((d) => d.code === 'LOAD_NO_EVTTYPE')!;
    assert.equal(w.message, 'Rule matches too many evt.type values. This has a significant performance penalty.');
    assert.deepEqual([w.position.line, w.position.col, w.item], [18, 3, "rule 'Any'"]);
  });

  it('an ungated rule still meets every event type', () => {
    const rules = loadRulesText([{ name: 'u.yaml', content: '- rule: Any\n  desc: d\n  condition: proc.name = bash\n  output: o\n  priority: info\n  warn_evttypes: false\n' }]);
    assert.equal(evaluate(rules, shellBatch()).length, 1);
    assert.equal(rules.diagnostics.length, 0);
  });
});

describe('ruleset: configuration', () => {
  const TWO = SHELL_RULES + `
- rule: Shell too
  desc: the same, later
  condition: spawned and proc.name = bash
  output: again
  priority: CRITICAL
  tags: [alpha]
`;

  it('rule_matching: first stops at the first matching rule, all runs every rule', () => {
    assert.deepEqual(evaluate(loadRulesText([{ name: 't.yaml', content: TWO }]), shellBatch()).map((a) => a.rule), ['Shell']);
    const all = loadRulesText([{ name: 't.yaml', content: TWO }], parseRulesConfig({ rule_matching: 'all' }));
    assert.deepEqual(evaluate(all, shellBatch()).map((a) => a.rule), ['Shell', 'Shell too']);
  });

  it('disables by name glob and enables by tag, in order', () => {
    const cfg = parseRulesConfig({ rule_matching: 'all', rule_selection: [{ disable: { rule: 'Shell*' } }, { enable: { tag: 'zeta' } }] });
    const rules = loadRulesText([{ name: 't.yaml', content: TWO }], cfg);
    assert.deepEqual(evaluate(rules, shellBatch()).map((a) => a.rule), ['Shell']);
    assert.deepEqual(rules.summaries().map((r) => [r.name, r.enabled]), [['Shell', true], ['Open etc', true], ['Shell too', false]]);
  });

  it('a minimum priority drops less severe rules', () => {
    const rules = loadRulesText([{ name: 't.yaml', content: TWO }], parseRulesConfig({ min_priority: 'error' }));
    assert.deepEqual(evaluate(rules, shellBatch()).map((a) => a.rule), ['Shell too']);
    assert.deepEqual(rules.eventTypes(), ['execve', 'openat']);
  });

  it('enabled: false in a later file disables; eventTypes() follows the enabled rules', () => {
    const rules = loadRulesText([
      { name: 't.yaml', content: TWO },
      { name: 'off.yaml', content: '- rule: Open etc\n  enabled: false\n  override:\n    enabled: replace\n' },
    ]);
    assert.deepEqual(rules.eventTypes(), ['execve']);
  });

  it('bad config names the key', () => {
    assert.throws(() => parseRulesConfig({ rule_matching: 'some' }), /rules config 'rule_matching'/);
    assert.throws(() => parseRulesConfig({ min_priority: 'loud' }), /'loud' is not a Falco priority/);
    assert.throws(() => parseRulesConfig({ rule_selection: [{ enable: {} }] }), /rule_selection\[0\]/);
  });
});

describe('ruleset: exceptions and overrides at run time', () => {
  it('an exception stops the rule for the excepted tuple only', () => {
    const text = SHELL_RULES + `
- rule: Shell
  exceptions:
    - name: ssh_bash
      fields: [proc.name, proc.pname]
      values: [[bash, sshd]]
  override:
    exceptions: append
`;
    const rules = loadRulesText([{ name: 'x.yaml', content: text }]);
    assert.equal(evaluate(rules, shellBatch('bash')).length, 0);
    assert.equal(evaluate(rules, shellBatch('sh')).length, 1);
  });

  it('appended list items and macro conditions take effect', () => {
    const rules = loadRulesText([
      { name: 'a.yaml', content: SHELL_RULES },
      { name: 'b.yaml', content: '- list: shells\n  items: [zsh]\n  override:\n    items: append\n- macro: spawned\n  condition: and proc.tty != 0\n  override:\n    condition: append\n' },
    ]);
    assert.equal(evaluate(rules, shellBatch('zsh')).length, 1);
    assert.equal(evaluate(rules, shellBatch('zsh', 0)).length, 0);
  });

  it('a replaced condition replaces', () => {
    const rules = loadRulesText([
      { name: 'a.yaml', content: SHELL_RULES },
      { name: 'b.yaml', content: '- rule: Shell\n  condition: spawned and proc.name = fish\n  override:\n    condition: replace\n' },
    ]);
    assert.equal(evaluate(rules, shellBatch('bash')).length, 0);
    assert.equal(evaluate(rules, shellBatch('fish')).length, 1);
  });
});

describe('ruleset: compile errors name the place, with a caret', () => {
  it('an unknown field inside a folded condition', () => {
    const text = '- rule: R\n  desc: d\n  condition: >\n    evt.type = execve\n      and proc.nmae = bash\n  output: o\n  priority: info\n';
    const { ruleset, diagnostics } = checkRules([{ name: 'bad.yaml', content: text }]);
    assert.equal(ruleset, null);
    const e = diagnostics[0]!;
    assert.equal(e.code, 'LOAD_ERR_COMPILE_CONDITION');
    assert.match(e.message, /proc\.nmae/);
    assert.equal(formatDiagnostic(e).split('\n').slice(1).join('\n'), '        and proc.nmae = bash\n            ^');
    assert.deepEqual([e.position.line, e.position.col], [5, 11]);
  });

  it('an unknown field in a macro points into the macro', () => {
    const text = '- macro: m\n  condition: fd.nme = x\n- rule: R\n  desc: d\n  condition: evt.type = open and m\n  output: o\n  priority: info\n';
    const e = checkRules([{ name: 'bad.yaml', content: text }]).diagnostics[0]!;
    assert.deepEqual([e.position.line, e.position.col, e.item], [2, 14, "rule 'R'"]);
  });

  it('an undefined macro', () => {
    const text = '- rule: R\n  desc: d\n  condition: evt.type = open and nosuchmacro\n  output: o\n  priority: info\n';
    const e = checkRules([{ name: 'bad.yaml', content: text }]).diagnostics[0]!;
    assert.match(e.message, /nosuchmacro/);
    assert.deepEqual([e.position.line, e.position.col], [3, 34]);
  });

  it('bad syntax', () => {
    const text = '- rule: R\n  desc: d\n  condition: evt.type = open and (proc.name = x\n  output: o\n  priority: info\n';
    const e = checkRules([{ name: 'bad.yaml', content: text }]).diagnostics[0]!;
    assert.equal(e.code, 'LOAD_ERR_COMPILE_CONDITION');
    assert.equal(e.position.line, 3);
  });

  it('an unknown field in the output', () => {
    const text = '- rule: R\n  desc: d\n  condition: evt.type = open\n  output: file=%fd.nmae\n  priority: info\n';
    const e = checkRules([{ name: 'bad.yaml', content: text }]).diagnostics[0]!;
    assert.equal(e.code, 'LOAD_ERR_COMPILE_OUTPUT');
    assert.deepEqual([e.position.line, e.position.col], [4, 16]);
  });

  it('skip-if-unknown-filter: the rule is skipped with a warning, the rest loads', () => {
    const text = SHELL_RULES + '- rule: R\n  desc: d\n  condition: evt.type = open and proc.nosuch = 1\n  output: o\n  priority: info\n  skip-if-unknown-filter: true\n';
    const { ruleset, diagnostics } = checkRules([{ name: 'skip.yaml', content: text }]);
    assert.equal(ruleset!.rules.length, 2);
    assert.deepEqual(diagnostics.map((d) => [d.severity, d.code]), [['warning', 'LOAD_UNKNOWN_FILTER']]);
  });

  it('every broken rule is reported, and the load throws RulesLoadError', () => {
    const text = '- rule: A\n  desc: d\n  condition: evt.type = open and x.y = 1\n  output: o\n  priority: info\n- rule: B\n  desc: d\n  condition: evt.type = open and (\n  output: o\n  priority: info\n';
    assert.throws(() => loadRulesText([{ name: 'two.yaml', content: text }]), (e: unknown) => {
      assert.ok(e instanceof RulesLoadError);
      assert.deepEqual(e.errors.map((d) => d.item), ["rule 'A'", "rule 'B'"]);
      return true;
    });
  });
});

describe('our default rules (rules/peregrine_rules.yaml)', () => {
  const content = readFileSync(DEFAULT_RULES, 'utf8');
  const rules = loadRulesText([{ name: 'peregrine_rules.yaml', content }]);

  it('load alone with no warnings, and next to the upstream files', () => {
    assert.deepEqual(rules.diagnostics.map(formatDiagnostic), []);
    const all = checkRules([
      { name: 'falco_rules.yaml', content: readFileSync(UPSTREAM_STABLE_RULES, 'utf8') },
      { name: 'falco-incubating_rules.yaml', content: readFileSync(UPSTREAM_INCUBATING_RULES, 'utf8') },
      { name: 'peregrine_rules.yaml', content },
    ]);
    assert.deepEqual(all.diagnostics.map(formatDiagnostic), []);
    assert.equal(all.ruleset!.rules.length, 25 + 31 + rules.rules.length);
  });

  function inPod(b: BatchBuilder) {
    return b.container({ id: 'c0ffee'.repeat(11).slice(0, 64) }, { nsName: 'shop', podName: 'web-1' });
  }

  it('seed 1: a shell exec’d with a tty in a container fires "Interactive shell in container" (Notice)', () => {
    const b = new BatchBuilder();
    const c = inPod(b);
    const p = b.proc({ name: 'sh', tty: 34817, user: 'root', args: [] }, [{ name: 'runc' }], c);
    b.event('execve', { proc: p, args: { exe: '/bin/sh' } });
    const alerts = evaluate(rules, b);
    assert.deepEqual(alerts.map((a) => [a.rule, a.priority]), [['Interactive shell in container', 'Notice']]);
    const f = alerts[0]!.output_fields;
    assert.deepEqual(
      [f['k8s.ns.name'], f['k8s.pod.name'], f['container.id'], f['proc.name'], f['proc.tty'], f['user.name']],
      ['shop', 'web-1', 'c0ffeec0ffee', 'sh', 34817, 'root'],
    );
    assert.match(alerts[0]!.output, /: Notice Interactive shell started in a container \(ns=shop pod=web-1 container=c0ffeec0ffee /);
  });

  it('seed 1 near misses: no tty, on the host, or a shell inside the same session', () => {
    const b = new BatchBuilder();
    const c = inPod(b);
    b.event('execve', { proc: b.proc({ name: 'sh', tty: 0 }, [{ name: 'runc' }], c), args: {} });
    b.event('execve', { proc: b.proc({ name: 'bash', tty: 34817 }, [{ name: 'sh' }, { name: 'runc' }], c), args: {} });
    b.event('execve', { proc: b.proc({ name: 'bash', tty: 34817 }, [{ name: 'sshd' }]), args: {} });
    assert.deepEqual(evaluate(rules, b), []);
  });

  for (const path of ['/usr/local/bin/kubectl', '/usr/local/sbin/x', '/lib/x86_64-linux-gnu/libc.so.6']) {
    it(`seed 2: a write to ${path} fires "Write below monitored directory" (Error)`, () => {
      const b = new BatchBuilder();
      const c = inPod(b);
      const p = b.proc({ name: 'curl', args: ['-o', path] }, [{ name: 'sh' }], c);
      const fd = b.fd({ name: path, openFlags: O.WRONLY | O.CREAT | O.TRUNC });
      b.event('openat', { proc: p, fd, res: 3, args: { fd: 3, name: path, flags: O.WRONLY | O.CREAT | O.TRUNC } });
      const alerts = evaluate(rules, b);
      assert.deepEqual(alerts.map((a) => [a.rule, a.priority]), [['Write below monitored directory', 'Error']]);
      const f = alerts[0]!.output_fields;
      assert.deepEqual([f['fd.name'], f['k8s.ns.name'], f['k8s.pod.name'], f['container.id']], [path, 'shop', 'web-1', 'c0ffeec0ffee']);
    });
  }

  it('seed 2 near misses: a read, a write elsewhere, a package manager', () => {
    const b = new BatchBuilder();
    const p = b.proc({ name: 'curl' });
    b.event('openat', { proc: p, fd: b.fd({ name: '/usr/local/bin/x' }), res: 3, args: { fd: 3, name: '/usr/local/bin/x', flags: O.RDONLY } });
    b.event('openat', { proc: p, fd: b.fd({ name: '/usr/localx/bin' }), res: 3, args: { fd: 3, name: '/usr/localx/bin', flags: O.WRONLY } });
    const dpkg = b.proc({ name: 'dpkg' });
    b.event('openat', { proc: dpkg, fd: b.fd({ name: '/usr/bin/ls' }), res: 3, args: { fd: 3, name: '/usr/bin/ls', flags: O.WRONLY } });
    assert.deepEqual(evaluate(rules, b), []);
  });
});
