/** A destination's runner: spool when down, drain in order when back, a bounded spool that counts what it refuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '@peregrine/event';
import type { Logger } from '@peregrine/runtime';
import { HttpPoster } from '../src/destinations/http-post.ts';
import { WebhookDestination } from '../src/destinations/webhook.ts';
import { DestinationRunner } from '../src/runner.ts';
import { Spool } from '../src/spool.ts';
import { freePort } from '../../../tests/support/nats.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const alert = (uuid: string): Alert => ({ uuid, time: '2026-11-28T10:00:00Z', rule: 'r', priority: 'Notice', source: 'syscall', hostname: 'h', output: 'o', tags: [], output_fields: {} });

test('a full spool refuses further alerts with accounting; the queued ones go out in order once the endpoint is up', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-runner-'));
  const port = await freePort();
  const got: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => { got.push(String(req.headers['idempotency-key'])); res.writeHead(200).end(); });
  });
  const counts = { delivered: 0, queued: 0, failed: [] as string[], depth: 0 };
  const runner = new DestinationRunner(
    new WebhookDestination('hook', new HttpPoster('hook', { url: `http://127.0.0.1:${port}/`, headers: {}, timeoutMs: 500, retries: 0, retryBackoffMs: 10, tls: { insecureSkipVerify: false } }), 'Idempotency-Key'),
    () => true, null, new Spool(dir), { initialMs: 20, maxMs: 50, maxQueued: 3 }, quiet,
    { delivered: () => { counts.delivered++; }, queued: () => { counts.queued++; }, failed: (_, r) => { counts.failed.push(r); }, spoolDepth: (_, n) => { counts.depth = n; } },
  );
  t.after(async () => { await runner.close(); server.closeAllConnections(); server.close(); rmSync(dir, { recursive: true, force: true }); });
  for (const u of ['a', 'b', 'c', 'd', 'e']) await runner.submit(alert(u));
  assert.equal(runner.pending, 3);
  assert.deepEqual(counts.failed, ['spool_full', 'spool_full']);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const until = Date.now() + 5000;
  while (runner.pending > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got, ['a', 'b', 'c']);
  assert.deepEqual([counts.delivered, counts.queued, counts.depth], [3, 3, 0]);
  await runner.submit(alert('f'));
  assert.deepEqual(got, ['a', 'b', 'c', 'f'], 'healthy again: delivered directly');
});
