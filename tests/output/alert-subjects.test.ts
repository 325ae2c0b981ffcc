/**
 * Alerts on NATS: the subject template (falcosidekick's `subjecttemplate`) renders falco.<priority>.<rule_slug> by
 * default, and a subscriber to `falco.critical.>` on a real nats-server sees exactly the critical alerts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { connect } from 'nats';
import {
  alertSubject, alertSubjectTemplate, alertSubjectWildcard, BusConfigError, NatsBus, parseNatsConfig, parseStreamsConfig,
} from '@peregrine/bus';
import { PRIORITIES, type Priority } from '@peregrine/event';
import { startNats } from '../support/nats.ts';
import { makeAlert } from './support/stage-harness.ts';

test('the default subject template renders alertSubject() for any rule with a slug', () => {
  const render = alertSubjectTemplate();
  fc.assert(fc.property(fc.constantFrom(...PRIORITIES), fc.string({ minLength: 1 }).filter((r) => /[a-z0-9]/i.test(r)), (priority, rule) => {
    assert.equal(render({ priority, rule, source: 'syscall', hostname: 'h' }), alertSubject(priority, rule));
  }));
  assert.equal(render({ priority: 'Critical', rule: 'Terminal shell in container', source: 'syscall', hostname: 'h' }), 'falco.critical.terminal_shell_in_container');
});

test('a custom subject template uses source and hostname, and its wildcard covers what it renders', () => {
  const t = 'security.<source>.<hostname>.<priority>.<rule>';
  const render = alertSubjectTemplate(t);
  assert.equal(render({ priority: 'Warning', rule: 'Read sensitive file untrusted', source: 'k8s_audit', hostname: 'node.eu-1 a' }),
    'security.k8s_audit.node_eu-1_a.warning.read_sensitive_file_untrusted');
  assert.equal(alertSubjectWildcard(t), 'security.*.*.*.*');
  assert.equal(alertSubjectWildcard(), 'falco.*.*');
  for (const bad of ['falco.<priority>.>', 'falco..<rule>', '.<rule>', 'falco <rule>']) {
    assert.throws(() => alertSubjectTemplate(bad), BusConfigError, bad);
  }
});

test('a subscriber to falco.critical.> on a real nats-server sees exactly the critical alerts, in Falco JSON', async (t) => {
  // Our own server, not sharedNats(): its child would keep this test process alive when run outside CI.
  const nats = await startNats();
  const { url } = nats;
  const bus = await NatsBus.connect(parseNatsConfig({ servers: url }), parseStreamsConfig(undefined));
  const nc = await connect({ servers: url });
  t.after(async () => { await nc.close(); await bus.close(); await nats.dispose(); });
  const sub = nc.subscribe('falco.critical.>');
  const alerts = (['Critical', 'Warning', 'Critical', 'Notice'] as Priority[]).map((priority, i) => makeAlert({ priority, rule: `Subject rule ${i}` }));
  await nc.flush();
  for (const a of alerts) await bus.publish(alertSubject(a.priority as Priority, a.rule), Buffer.from(JSON.stringify(a)), { msgId: a.uuid });
  const seen: Array<{ subject: string; uuid: string; output_fields: unknown }> = [];
  const timer = setTimeout(() => sub.unsubscribe(), 1000);
  for await (const m of sub) {
    const a = JSON.parse(Buffer.from(m.data).toString());
    seen.push({ subject: m.subject, uuid: a.uuid, output_fields: a.output_fields });
    if (seen.length === 2) break;
  }
  clearTimeout(timer);
  assert.deepEqual(seen.map((s) => [s.subject, s.uuid]), [
    ['falco.critical.subject_rule_0', alerts[0]!.uuid],
    ['falco.critical.subject_rule_2', alerts[2]!.uuid],
  ]);
  assert.deepEqual(seen[0]!.output_fields, alerts[0]!.output_fields);
});
