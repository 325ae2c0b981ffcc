/**
 * A uint64 in output_fields (evt.time, ns since the epoch) comes out exactly as Falco prints it, through the whole
 * alert path in one process on the memory bus: host publish and parse, the output stage's flood-control journal, a
 * destination's retry spool, and the JSON a destination writes. JSON.stringify of a number would print
 * 1795863842758066000 for 1795863842758065975.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus, decodeAlert, enrichedEvents } from '@peregrine/bus';
import { emptyBatch, encodeBatch, type EventBatch } from '@peregrine/event';
import { Host, createLogger, type BatchStage } from '@peregrine/runtime';
import { createOutputStage } from '@peregrine/output';

const EVT_TIME = 1795863842758065975n;
const settings = { concurrency: 2, maxMessageBytes: 1 << 20, maxPendingBytes: 1 << 20, maxAckPending: 64, badInputLogIntervalMs: 60_000, drainTimeoutMs: 5000, keepTraceGraceMs: 0 };
const silent = createLogger({ sink: { write: () => {} } });

const evaluation: BatchStage = {
  kind: 'batch', name: 'alerting',
  handle(b: EventBatch, ctx) {
    ctx.emitAlert({ uuid: `uuid-${b.seq}`, time: '2026-11-28T11:04:02.758065975Z', rule: 'Write below etc', priority: 'Error', source: 'syscall',
      hostname: b.node, output: '11:04:02.758065975: Error File below /etc opened', tags: [], output_fields: { 'evt.time': EVT_TIME, 'proc.pid': 42 } });
  },
};

const lines = (file: string) => existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];

test('evt.time keeps every digit from the stage that raised the alert to the JSON a destination writes (memory bus)', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-exact-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const delivered = join(dir, 'alerts.jsonl');
  const spooled = join(dir, 'state', 'spool', 'down', 'queue.jsonl');
  const journal = join(dir, 'state', 'flood.jsonl');
  const bus = new MemoryBus();
  const host = new Host({ bus, node: 'n1', settings, logger: silent, http: null, stages: [
    { name: 'evaluation', stage: evaluation, config: {}, next: undefined },
    { name: 'output', stage: createOutputStage(), next: undefined, config: {
      stateDir: join(dir, 'state'),
      dedup: { windowSeconds: 0.5 },
      retry: { initialMs: 60_000 },
      destinations: [
        { type: 'file', path: delivered },
        // Down: the alert waits in this destination's spool.
        { name: 'down', type: 'webhook', url: 'http://127.0.0.1:1/alerts', retries: 0, timeoutMs: 500 },
      ],
    } },
  ] });
  t.after(() => host.drain());
  await host.start();
  await bus.publish(enrichedEvents('n1'), encodeBatch(emptyBatch('n1', 1)), { msgId: 'c.1' });

  // Held in the dedup window: journalled.
  const end = Date.now() + 10_000;
  while (lines(journal).length === 0) { assert.ok(Date.now() < end, 'journalled'); await new Promise((r) => setTimeout(r, 10)); }
  assert.match(lines(journal)[0]!, /"evt\.time":1795863842758065975,/);
  while (lines(delivered).length === 0 || lines(spooled).length === 0) {
    assert.ok(Date.now() < end, 'delivered to the file and spooled for the webhook');
    await new Promise((r) => setTimeout(r, 20));
  }
  const [line] = lines(delivered);
  assert.match(line!, /"output_fields":\{"evt\.time":1795863842758065975,"proc\.pid":42\}/);
  assert.equal(decodeAlert(line!).output_fields['evt.time'], EVT_TIME);
  assert.match(lines(spooled)[0]!, /"evt\.time":1795863842758065975,/);
  assert.equal(decodeAlert(lines(spooled)[0]!).output_fields['evt.time'], EVT_TIME);
});
