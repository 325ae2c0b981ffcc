/**
 * `npx peregrine run --all` with the built-in output stage prints exactly one Falco JSON line per alert on stdout
 * (the CLI contract), whether the config leaves out `stages.output.destinations` or leaves it empty; a user who
 * configures destinations gets what they configured.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startStageProcess, type StageProcess } from '../support/stage-process.ts';
import { until } from './support.ts';

const fixtures = resolve(import.meta.dirname, 'fixtures');
const ALERTS = 5;
let dir: string;
const procs: StageProcess[] = [];

before(() => { dir = mkdtempSync(join(tmpdir(), 'peregrine-run-all-')); });
after(async () => {
  for (const p of procs) { p.kill(); await p.exited; }
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the pipeline (synthetic source, relays raising one alert per batch, built-in output) to the end; its stdout. */
async function stdoutOf(name: string, outputSection: string): Promise<string[]> {
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, `
http: { port: -1 }
pipeline:
  - { name: capture, module: ${fixtures}/synthetic-source.ts }
  - { name: enrichment, module: ${fixtures}/relay.ts }
  - { name: evaluation, module: ${fixtures}/relay.ts }
  - output
stages:
  capture: { nodes: [n1], batches: ${ALERTS}, eventsPerBatch: 3 }
  evaluation: { alertEvery: 1 }
  output:
    stateDir: ${join(dir, name)}
${outputSection}`);
  const proc = startStageProcess(['run', '--all', '--config', config], { OTEL_SDK_DISABLED: 'true' });
  procs.push(proc);
  await proc.ready;
  await until(() => proc.logs.some((l) => l.msg === 'source done'), 15_000, 'the source to finish');
  await until(() => proc.stdout.length >= ALERTS, 15_000, `${ALERTS} alert lines`);
  assert.equal(await proc.terminate(), 0);
  return proc.stdout;
}

function assertOneJsonLinePerAlert(lines: string[]): void {
  assert.equal(lines.length, ALERTS, `exactly one line per alert:\n${lines.join('\n')}`);
  const alerts = lines.map((l) => JSON.parse(l) as { uuid: string; output: string });
  assert.deepEqual(alerts.map((a) => a.uuid), ['n1-1', 'n1-2', 'n1-3', 'n1-4', 'n1-5']);
  assert.equal(alerts[0]!.output, 'batch 1 of n1');
}

test('run --all: one Falco JSON line per alert on stdout when no destinations are configured', { timeout: 60_000 }, async () => {
  assertOneJsonLinePerAlert(await stdoutOf('absent', ''));
});

test('run --all: an empty destinations key is still no destinations (JSON, not the output stage\'s text default)', { timeout: 60_000 }, async () => {
  assertOneJsonLinePerAlert(await stdoutOf('empty', '    destinations:\n'));
});

test('run --all: destinations the user configured are what they get (stdout text)', { timeout: 60_000 }, async () => {
  const lines = await stdoutOf('text', '    destinations: [ { type: stdout, format: text } ]\n');
  assert.deepEqual(lines, [1, 2, 3, 4, 5].map((n) => `00:00:00.000: Notice batch ${n} of n1`));
});
