/** The responses engine: webhook actions, stop-on-error, continue, and the published action records. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { trace } from '@opentelemetry/api';
import { parse } from 'yaml';
import { actionTaken, MemoryBus } from '@peregrine/bus';
import type { Alert } from '@peregrine/event';
import type { Logger } from '@peregrine/runtime';
import { ResponseEngine, type ActionRecord } from '../../src/responses/engine.ts';
import { parseResponseRules } from '../../src/responses/rules.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const alert: Alert = { uuid: '11111111-0000-4000-8000-000000000001', time: '2026-11-28T10:00:00Z', rule: 'Outbound connection to C2', priority: 'Critical',
  source: 'syscall', hostname: 'node-a', output: 'o', tags: ['network'], output_fields: { 'fd.sip': '203.0.113.7' } };

test('webhook action POSTs the alert; a failed action stops the rule and later rules unless ignore_errors', async (t) => {
  const bodies: Array<{ key: string; body: unknown; auth: string }> = [];
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => { b += d; });
    req.on('end', () => { bodies.push({ key: String(req.headers['idempotency-key']), body: JSON.parse(b), auth: String(req.headers.authorization) }); res.writeHead(202).end(); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/respond`;
  const bus = new MemoryBus();
  t.after(async () => { server.close(); await bus.close(); });
  const published: ActionRecord[] = [];
  bus.control.serve(actionTaken('webhook'), (d) => { published.push(JSON.parse(Buffer.from(d).toString())); });
  bus.control.serve(actionTaken('kill'), (d) => { published.push(JSON.parse(Buffer.from(d).toString())); });
  const rules = parseResponseRules(parse(`
- rule: Notify, dry
  match: { tags: [network] }
  dry_run: true
  actions: [{ action: Tell SOAR, actionner: http:webhook, parameters: { url: "${url}" } }]
- rule: Kill then notify
  match: { priority: ">=Error" }
  actions:
    - { action: Kill, actionner: process:kill }
    - { action: Tell SOAR, actionner: http:webhook, parameters: { url: "${url}" } }
- rule: Same, ignoring errors
  match: { priority: ">=Error" }
  ignore_errors: true
  continue: false
  actions:
    - { action: Kill, actionner: process:kill }
    - { action: Tell SOAR, actionner: http:webhook, parameters: { url: "${url}", headers: { Authorization: Bearer s0ar } } }
- rule: Never reached
  match: { priority: ">=Error" }
  actions: [{ action: Tell SOAR, actionner: http:webhook, parameters: { url: "${url}" } }]
`), 'r.yaml');
  const engine = new ResponseEngine(rules, { control: bus.control, kube: () => { throw new Error('no kube here'); }, log: quiet,
    tracer: trace.getTracer('t'), killTimeoutMs: 200, webhookTimeoutMs: 1000, onAction: () => {} });
  const records = await engine.run(alert, trace.getTracer('t').startSpan('alert'));
  assert.deepEqual(records.map((r) => `${r.responseRule}/${r.action}: ${r.status}`), [
    'Notify, dry/Tell SOAR: dry_run',
    'Kill then notify/Kill: failed',
    // the failed kill stopped "Kill then notify" and every later rule but this one, which ignores errors
  ]);
  const again = new ResponseEngine(rules.filter((r) => r.name !== 'Kill then notify'), { control: bus.control, kube: () => { throw new Error('no kube'); },
    log: quiet, tracer: trace.getTracer('t'), killTimeoutMs: 200, webhookTimeoutMs: 1000, onAction: () => {} });
  const second = await again.run(alert, trace.getTracer('t').startSpan('alert'));
  assert.deepEqual(second.map((r) => `${r.responseRule}/${r.action}: ${r.status}`), [
    'Notify, dry/Tell SOAR: dry_run',
    'Same, ignoring errors/Kill: failed',
    'Same, ignoring errors/Tell SOAR: done',
  ]);
  assert.match(records[1]!.detail, /alert has no proc.pid and proc.pid.ts/);
  assert.deepEqual(bodies, [{ key: alert.uuid, body: alert, auth: 'Bearer s0ar' }], 'only the real webhook action POSTed, once');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(published.length, 5, 'every action, dry-run and failed ones too, is published');
});
