/** Shared by the pipeline system tests: the test pipeline's config and the checks on what the sink recorded. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import assert from 'node:assert/strict';
import type { SinkLine } from './fixtures/sink.ts';

const fixtures = resolve(import.meta.dirname, 'fixtures');

export interface PipelineShape {
  nodes: string[];
  batches: number;
  eventsPerBatch: number;
  intervalMs: number;
  alertEvery: number;
  sampleRatio: number;
}

/** capture = synthetic source, enrichment and evaluation = relays, then a batch sink and an alert sink. */
export function pipelineConfig(shape: PipelineShape, sinkOut: string, alertsOut: string): string {
  return `
runtime: { concurrency: 4, badInputLogIntervalMs: 60000 }
telemetry: { sampleRatio: ${shape.sampleRatio} }
pipeline:
  - { name: capture, module: ${fixtures}/synthetic-source.ts }
  - { name: enrichment, module: ${fixtures}/relay.ts }
  - { name: evaluation, module: ${fixtures}/relay.ts }
  - { name: sink, module: ${fixtures}/sink.ts }
  - { name: alerts, module: ${fixtures}/alert-sink.ts, kind: alert }
stages:
  capture: { nodes: [${shape.nodes.join(', ')}], batches: ${shape.batches}, eventsPerBatch: ${shape.eventsPerBatch}, intervalMs: ${shape.intervalMs} }
  evaluation: { alertEvery: ${shape.alertEvery} }
  sink: { out: ${sinkOut} }
  alerts: { out: ${alertsOut} }
`;
}

export function readLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

/** Every event of every node exactly once, in order: per node the numbers are 1…N with nothing missing or repeated. */
export function assertExactlyOnceInOrder(lines: SinkLine[], shape: PipelineShape): void {
  for (const node of shape.nodes) {
    const nums = lines.filter((l) => l.node === node).flatMap((l) => l.nums);
    const total = shape.batches * shape.eventsPerBatch;
    assert.equal(nums.length, total, `${node}: ${nums.length} events arrived, ${total} were sent`);
    for (let i = 0; i < total; i++) {
      if (nums[i] !== i + 1) assert.fail(`${node}: event #${i} is num ${nums[i]}, expected ${i + 1}`);
    }
  }
}

export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
