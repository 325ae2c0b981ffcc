/** The stage as a host drives it: SIGHUP re-opens file destinations; input that is not an alert is counted, not fatal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { MemoryBus } from '@peregrine/bus';
import type { Alert } from '@peregrine/event';
import { HostMetrics, type AlertStage, type HandlerContext, type Logger } from '@peregrine/runtime';
import createStage from '../src/index.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const ctx: HandlerContext = { span: trace.getTracer('t').startSpan('x'), emitBatch() {}, emitAlert() {} };
const alert = (uuid: string): Alert => ({ uuid, time: '2026-11-28T10:00:00Z', rule: 'r', priority: 'Notice', source: 'syscall', hostname: 'h', output: 'o', tags: [], output_fields: {} });

test('SIGHUP re-opens file destinations; a non-alert is counted and dropped, the next alert still goes out', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-stage-'));
  const bus = new MemoryBus();
  const metrics = new HostMetrics();
  const stage = createStage() as AlertStage;
  t.after(async () => { await stage.close?.(); await bus.close(); rmSync(dir, { recursive: true, force: true }); });
  const path = join(dir, 'alerts.jsonl');
  await stage.init!({ node: 'n', logger: quiet, control: bus.control, metrics: metrics.forStage(),
    config: { stateDir: join(dir, 'state'), destinations: [{ type: 'file', path }] } });
  await stage.handle(alert('a'), ctx);
  renameSync(path, `${path}.1`);
  process.kill(process.pid, 'SIGHUP');
  await new Promise((r) => setTimeout(r, 100));
  await stage.handle({ uuid: 'bad', rule: 3 } as unknown as Alert, ctx);
  await stage.handle(alert('b'), ctx);
  const uuids = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l).uuid);
  assert.deepEqual(uuids(`${path}.1`), ['a']);
  assert.deepEqual(uuids(path), ['b']);
  assert.match(await metrics.registry.metrics(), /peregrine_output_bad_alerts_total 1/);
  assert.match(await metrics.registry.metrics(), /peregrine_output_delivered_total\{destination="file"\} 2/);
  assert.equal(existsSync(join(dir, 'state')), false, 'no spool or journal written while nothing failed and flood control is off');
});
