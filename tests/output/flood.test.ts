/**
 * Flood control through the output stage: 1,000 identical alerts within a second become one alert with count
 * 1000; a per-rule rate limit holds back the excess but reports it (a summary alert and a metric), never silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus } from '@peregrine/bus';
import createStage, { COUNT_FIELD, SUPPRESSED_FIELD } from '@peregrine/output';
import type { AlertStage } from '@peregrine/runtime';
import { handlerContext, makeAlert, makeInit } from './support/stage-harness.ts';

const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const waitFor = async (cond: () => boolean, ms: number) => {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
};

test('dedup: 1,000 identical alerts within a second become one alert with count 1000', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-dedup-'));
  const bus = new MemoryBus();
  const stage = createStage() as AlertStage;
  t.after(async () => { await stage.close?.(); await bus.close(); rmSync(dir, { recursive: true, force: true }); });
  const out = join(dir, 'alerts.jsonl');
  const { init, registry } = makeInit({
    stateDir: join(dir, 'state'),
    dedup: { windowSeconds: 1.5 },
    destinations: [{ name: 'file', type: 'file', path: out, format: 'json' }, { name: 'metrics', type: 'prometheus' }],
  }, bus.control);
  await stage.init!(init);
  const started = Date.now();
  const first = makeAlert({ rule: 'Write below etc', priority: 'Error', fields: { 'fd.name': '/etc/shadow', 'evt.time': 1 } });
  for (let i = 0; i < 1000; i++) {
    // Same rule and key fields; only the event time and uuid differ, as with a real burst.
    const a = i === 0 ? first : makeAlert({ rule: 'Write below etc', priority: 'Error', fields: { 'fd.name': '/etc/shadow', 'evt.time': 1 + i } });
    const { ctx, span } = handlerContext(a);
    await stage.handle(a, ctx);
    span.end();
  }
  const other = makeAlert({ rule: 'Write below etc', priority: 'Error', fields: { 'fd.name': '/etc/passwd' } });
  await stage.handle(other, handlerContext(other).ctx);
  assert.ok(Date.now() - started < 1000, 'the burst took under a second');
  assert.deepEqual(read(out), [], 'held until the window closes');
  await waitFor(() => read(out).length >= 2, 5000);
  const got = read(out);
  assert.equal(got.length, 2);
  const shadow = got.find((a) => a.output_fields['fd.name'] === '/etc/shadow');
  assert.equal(shadow.uuid, first.uuid);
  assert.equal(shadow.output_fields[COUNT_FIELD], 1000);
  const passwd = got.find((a) => a.output_fields['fd.name'] === '/etc/passwd');
  assert.equal(passwd.output_fields[COUNT_FIELD], undefined);
  const metrics = await registry.metrics();
  assert.match(metrics, /peregrine_alerts_total\{rule="Write below etc",priority="Error",source="syscall",k8s_ns_name="prod"\} 1001/);
  assert.match(metrics, /peregrine_alerts_deduplicated_total\{rule="Write below etc"\} 999/);
});

test('dedup windows survive a restart: held alerts and their counts are journalled', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-dedup-restart-'));
  const bus = new MemoryBus();
  let stage = createStage() as AlertStage;
  t.after(async () => { await stage.close?.(); await bus.close(); rmSync(dir, { recursive: true, force: true }); });
  const out = join(dir, 'alerts.jsonl');
  const config = { stateDir: join(dir, 'state'), dedup: { windowSeconds: 1, keyFields: ['proc.name'] },
    destinations: [{ name: 'file', type: 'file', path: out, format: 'json' }] };
  await stage.init!(makeInit(config, bus.control).init);
  for (let i = 0; i < 50; i++) {
    const a = makeAlert({ rule: 'Netcat remote code execution', fields: { 'proc.name': 'nc', 'proc.pid': 100 + i } });
    await stage.handle(a, handlerContext(a).ctx);
  }
  await stage.close!();
  assert.deepEqual(read(out), []);
  stage = createStage() as AlertStage;
  await stage.init!(makeInit(config, bus.control).init);
  await waitFor(() => read(out).length > 0, 4000);
  const got = read(out);
  assert.equal(got.length, 1);
  assert.equal(got[0].output_fields[COUNT_FIELD], 50);
});

test('rate limit: alerts over the per-rule limit are counted and reported in a summary alert, not dropped silently', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-ratelimit-'));
  const bus = new MemoryBus();
  const stage = createStage() as AlertStage;
  t.after(async () => { await stage.close?.(); await bus.close(); rmSync(dir, { recursive: true, force: true }); });
  const out = join(dir, 'alerts.jsonl');
  const { init, registry } = makeInit({
    stateDir: join(dir, 'state'),
    rateLimit: { perRule: 5, intervalSeconds: 1 },
    destinations: [{ name: 'file', type: 'file', path: out, format: 'json', route: { tags: ['network'] } }],
  }, bus.control);
  await stage.init!(init);
  for (let i = 0; i < 30; i++) {
    const a = makeAlert({ rule: 'Outbound connection', priority: i === 17 ? 'Critical' : 'Notice', tags: ['network'], fields: { 'fd.name': `10.0.0.${i}:443` } });
    await stage.handle(a, handlerContext(a).ctx);
  }
  const quiet = makeAlert({ rule: 'Other rule', tags: ['network'] });
  await stage.handle(quiet, handlerContext(quiet).ctx);
  assert.equal(read(out).length, 6, 'five of the flooding rule pass, and the other rule is not limited');
  await waitFor(() => read(out).length >= 7, 3000);
  const got = read(out);
  assert.equal(got.length, 7);
  const summary = got[6];
  assert.equal(summary.rule, 'Outbound connection');
  assert.equal(summary.priority, 'Critical', 'the summary carries the most severe suppressed priority');
  assert.equal(summary.output_fields[SUPPRESSED_FIELD], 25);
  assert.deepEqual(summary.tags, ['network'], 'routes like the suppressed alerts');
  assert.match(summary.output, /^25 alerts of rule "Outbound connection" were suppressed by the rate limit \(5 per 1 s\)/);
  assert.match(await registry.metrics(), /peregrine_alerts_suppressed_total\{rule="Outbound connection"\} 25/);
});
