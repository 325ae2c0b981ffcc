/**
 * The kill response, over a real nats-server: an alert naming a real process on this machine (proc.pid and its
 * start time proc.pid.ts) makes the node agent (capture's kill responder) kill it; an alert whose pid now belongs to a process with another
 * start time (a reused pid) kills nothing; dry_run sends nothing. Every action is published on
 * peregrine.actions.kill and traced as a child of the alert's span.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionTaken, NatsBus, nodeAction, parseNatsConfig, parseStreamsConfig } from '@peregrine/bus';
import createStage, { type ActionRecord } from '@peregrine/output';
import type { AlertStage } from '@peregrine/runtime';
import { startNats } from '../support/nats.ts';
import { serveKill } from '@peregrine/capture';
import { processStartNs } from './support/proc-start.ts';
import { handlerContext, makeAlert, makeInit, spans } from './support/stage-harness.ts';

const RULES = `
- action: Kill the process
  actionner: process:kill
- rule: Kill netcat
  match:
    rules: [Netcat remote code execution in container]
    priority: ">=Warning"
  actions:
    - action: Kill the process
- rule: Kill in dry run
  match:
    rules: [Dry run rule]
  dry_run: true
  actions:
    - action: Kill the process
`;

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

test('kill: a real process matched by an alert is killed; a reused pid (start time mismatch) is not; dry_run sends nothing', async (t) => {
  // Our own server, not sharedNats(): its child would keep this test process alive when run outside CI.
  const nats = await startNats();
  const { url } = nats;
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-kill-'));
  writeFileSync(join(dir, 'responses.yaml'), RULES);
  const bus = await NatsBus.connect(parseNatsConfig({ servers: url }), parseStreamsConfig(undefined));
  const node = `kill-test-${process.pid}`;
  // The receiving end is capture's own: it checks the start time against the live process before killing.
  bus.control.serve(nodeAction(node, 'kill'), (data) => Buffer.from(JSON.stringify(serveKill(data))));
  const published: ActionRecord[] = [];
  bus.control.serve(actionTaken('kill'), (data) => { published.push(JSON.parse(Buffer.from(data).toString())); });
  const victims = [0, 1, 2].map(() => spawn('sleep', ['60'], { stdio: 'ignore' }));
  const stage = createStage() as AlertStage;
  t.after(async () => {
    for (const v of victims) if (alive(v)) v.kill('SIGKILL');
    await stage.close?.();
    await bus.close();
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  await stage.init!(makeInit({ stateDir: join(dir, 'state'), destinations: [], responses: { rulesFile: join(dir, 'responses.yaml') } }, bus.control, node).init);
  await new Promise((r) => setTimeout(r, 100));
  const [target, reused, dry] = victims as [ChildProcess, ChildProcess, ChildProcess];
  // proc.pid.ts as evaluation renders it: a JSON number (bigint fields become numbers in output_fields).
  const alertFor = (rule: string, p: ChildProcess, startShiftNs = 0n) => makeAlert({
    rule, priority: 'Warning', hostname: node,
    fields: { 'proc.name': 'sleep', 'proc.pid': p.pid!, 'proc.pid.ts': Number(processStartNs(p.pid!) + startShiftNs) },
  });

  const killAlert = alertFor('Netcat remote code execution in container', target);
  const { ctx, span } = handlerContext(killAlert);
  await stage.handle(killAlert, ctx);
  span.end();
  await new Promise<void>((r) => (alive(target) ? target.once('exit', () => r()) : r()));
  assert.equal(target.signalCode, 'SIGKILL');

  // The pid is the live process's, but the alert saw a process that started 5 s earlier under that pid.
  const reusedAlert = alertFor('Netcat remote code execution in container', reused, -5_000_000_000n);
  await stage.handle(reusedAlert, handlerContext(reusedAlert).ctx);
  const dryAlert = alertFor('Dry run rule', dry);
  await stage.handle(dryAlert, handlerContext(dryAlert).ctx);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(alive(reused), 'the process now holding the reused pid was not killed');
  assert.ok(alive(dry), 'dry run killed nothing');

  const byAlert = (a: { uuid: string }) => published.find((p) => p.alert === a.uuid);
  assert.equal(byAlert(killAlert)?.status, 'done');
  assert.match(byAlert(killAlert)!.detail, new RegExp(`sent SIGKILL to pid ${target.pid} `));
  assert.equal(byAlert(reusedAlert)?.status, 'failed');
  assert.match(byAlert(reusedAlert)!.detail, /not killed: start time mismatch/);
  assert.equal(byAlert(dryAlert)?.status, 'dry_run');
  assert.equal(byAlert(dryAlert)?.dryRun, true);

  const alertSpan = span.spanContext();
  const actionSpan = spans.getFinishedSpans().find((s) => s.spanContext().spanId === byAlert(killAlert)!.spanId);
  assert.ok(actionSpan, 'the action span was recorded');
  assert.equal(actionSpan.name, 'response process:kill');
  assert.equal(actionSpan.spanContext().traceId, alertSpan.traceId);
  assert.equal(actionSpan.parentSpanContext?.spanId, alertSpan.spanId);
});
