/** Routing: each destination receives only the alerts its priority, rule, tag, namespace and source lists allow. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus } from '@peregrine/bus';
import createStage from '@peregrine/output';
import type { AlertStage } from '@peregrine/runtime';
import { handlerContext, makeAlert, makeInit, spans } from './support/stage-harness.ts';

const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

test('alerts reach only the destinations whose rule, tag, namespace, source and priority routes allow them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-routing-'));
  const bus = new MemoryBus();
  t.after(async () => { await bus.close(); rmSync(dir, { recursive: true, force: true }); });
  const file = (name: string) => join(dir, `${name}.jsonl`);
  const dest = (name: string, extra: Record<string, unknown>) => ({ name, type: 'file', path: file(name), format: 'json', ...extra });
  const stage = createStage() as AlertStage;
  const { init } = makeInit({
    stateDir: join(dir, 'state'),
    customFields: { cluster: 'eu-1' },
    destinations: [
      dest('all', {}),
      dest('shells', { route: { rules: ['Terminal shell in container'] } }),
      dest('prod-only', { route: { namespaces: ['prod'] } }),
      dest('no-kube-system', { route: { except: { namespaces: ['kube-system'] } } }),
      dest('network-tag', { route: { tags: ['network'] } }),
      dest('k8s-audit', { route: { sources: ['k8s_audit'] } }),
      dest('warning-up', { minimumPriority: 'warning', customFields: { environment: 'staging' } }),
      dest('not-mitre', { route: { except: { tags: ['mitre_execution'] } } }),
    ],
  }, bus.control);
  await stage.init!(init);
  const alerts = {
    shellProd: makeAlert({ rule: 'Terminal shell in container', priority: 'Notice', tags: ['shell', 'mitre_execution'], fields: { 'k8s.ns.name': 'prod' } }),
    netKubeSystem: makeAlert({ rule: 'Outbound connection', priority: 'Warning', tags: ['network'], fields: { 'k8s.ns.name': 'kube-system' } }),
    auditDev: makeAlert({ rule: 'Create privileged pod', priority: 'Critical', source: 'k8s_audit', tags: ['k8s'], fields: { 'k8s.ns.name': 'dev' } }),
    hostDebug: makeAlert({ rule: 'Read sensitive file', priority: 'Debug', tags: ['filesystem'], fields: { 'k8s.ns.name': null } }),
  };
  const spanIds: string[] = [];
  for (const a of Object.values(alerts)) {
    const { ctx, span } = handlerContext(a);
    await stage.handle(a, ctx);
    span.end();
    spanIds.push(span.spanContext().spanId);
  }
  // The alert's span records where it was delivered.
  const auditSpan = spans.getFinishedSpans().find((s) => s.spanContext().spanId === spanIds[2])!;
  assert.deepEqual(auditSpan.events.map((e) => `${e.attributes?.['peregrine.destination']}:${e.attributes?.['peregrine.delivery.outcome']}`),
    ['all:delivered', 'no-kube-system:delivered', 'k8s-audit:delivered', 'warning-up:delivered', 'not-mitre:delivered']);
  await stage.close!();
  const got = (name: string) => lines(file(name)).map((a) => a.uuid);
  const { shellProd, netKubeSystem, auditDev, hostDebug } = alerts;
  assert.deepEqual(got('all'), [shellProd.uuid, netKubeSystem.uuid, auditDev.uuid, hostDebug.uuid]);
  assert.deepEqual(got('shells'), [shellProd.uuid]);
  assert.deepEqual(got('prod-only'), [shellProd.uuid]);
  assert.deepEqual(got('no-kube-system'), [shellProd.uuid, auditDev.uuid, hostDebug.uuid]);
  assert.deepEqual(got('network-tag'), [netKubeSystem.uuid]);
  assert.deepEqual(got('k8s-audit'), [auditDev.uuid]);
  assert.deepEqual(got('warning-up'), [netKubeSystem.uuid, auditDev.uuid]);
  assert.deepEqual(got('not-mitre'), [netKubeSystem.uuid, auditDev.uuid, hostDebug.uuid]);
  // Custom fields: global ones everywhere, a destination's own only there; the alert's own fields are kept.
  const warn = lines(file('warning-up'))[0];
  assert.equal(warn.output_fields.cluster, 'eu-1');
  assert.equal(warn.output_fields.environment, 'staging');
  assert.equal(warn.output_fields['k8s.ns.name'], 'kube-system');
  assert.equal(lines(file('all'))[0].output_fields.environment, undefined);
});
