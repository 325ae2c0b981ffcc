/**
 * Restarting the output service mid-stream loses no alert: a real nats-server with JetStream, the real
 * `peregrine run output` service, alerts published on their falco.<priority>.<rule> subjects while the service is
 * killed (SIGKILL, no drain) and started again. The service's durable consumer resumes where it stopped and the file
 * destination ends up holding every alert (at-least-once: a few may appear twice, none is missing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { alertSubject, NatsBus, parseNatsConfig, parseStreamsConfig } from '@peregrine/bus';
import type { Priority } from '@peregrine/event';
import { startNats } from '../support/nats.ts';
import { makeAlert } from './support/stage-harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'libs/cli/bin/peregrine.mjs');

function startService(configFile: string, natsUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'run', 'output', '--config', configFile, '--nats', natsUrl], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_NAME: 'node-a' },
  });
  return new Promise((resolveReady, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`output service not ready in 20 s: ${err}`)), 20_000);
    child.stderr!.on('data', (d) => {
      err = (err + d).slice(-4000);
      if (/ready/.test(err)) { clearTimeout(timer); resolveReady(child); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`output service exited (${code}): ${err}`)); });
  });
}

function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => { child.removeAllListeners('exit'); child.once('exit', () => r()); child.kill(signal); });
}

test('restarting the output service (SIGKILL) mid-stream loses no alert: JetStream durable consumer on a real nats-server', async (t) => {
  const nats = await startNats();
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-restart-'));
  const out = join(dir, 'alerts.jsonl');
  const configFile = join(dir, 'peregrine.yaml');
  writeFileSync(configFile, [
    'http: { port: -1 }',
    'nats: { ackWaitMs: 2000 }',
    'stages:',
    '  output:',
    `    stateDir: ${join(dir, 'state')}`,
    '    destinations:',
    `      - { name: file, type: file, path: ${out}, format: json }`,
    '',
  ].join('\n'));
  let child: ChildProcess | undefined;
  const bus = await NatsBus.connect(parseNatsConfig({ servers: nats.url }), parseStreamsConfig(undefined));
  t.after(async () => {
    if (child) await kill(child, 'SIGKILL');
    await bus.close();
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const sent: string[] = [];
  const publish = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const a = makeAlert({ priority: (['Warning', 'Critical', 'Notice'] as Priority[])[i % 3]!, rule: `Restart rule ${i % 4}` });
      await bus.publish(alertSubject(a.priority as Priority, a.rule), Buffer.from(JSON.stringify(a)), { msgId: a.uuid });
      sent.push(a.uuid);
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 10));
    }
  };
  const delivered = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).uuid as string) : []);

  child = await startService(configFile, nats.url);
  const publishing = publish(400);
  // Mid-stream: once the service has delivered some, kill it while alerts keep arriving.
  const firstDeliveries = Date.now() + 10_000;
  while (delivered().length < 50 && Date.now() < firstDeliveries) await new Promise((r) => setTimeout(r, 5));
  await kill(child, 'SIGKILL');
  const beforeRestart = new Set(delivered()).size;
  await publishing; // the rest is published while the service is down
  child = await startService(configFile, nats.url);
  await publish(200);
  const until = Date.now() + 20_000;
  while (new Set(delivered()).size < sent.length && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  await kill(child, 'SIGTERM');
  child = undefined;

  const got = delivered();
  t.diagnostic(`delivered before the kill: ${beforeRestart}; total lines ${got.length} for ${sent.length} alerts`);
  const missing = sent.filter((u) => !got.includes(u));
  assert.deepEqual(missing, [], `${missing.length} alerts lost`);
  assert.ok(beforeRestart >= 50 && beforeRestart < 400, `the first run delivered ${beforeRestart} of 400 before it was killed`);
  assert.ok(got.length - sent.length < 200, `${got.length - sent.length} duplicates`);
});
