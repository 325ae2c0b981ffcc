/** Running the oracle: `sysdig -r FILE -p FORMAT FILTER`, and the matching lines from `peregrine replay`. */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EventBatch } from '@peregrine/event';
import { readCapture, replayBatches } from '@peregrine/scap';
import { linesOf, printPlan } from '../../libs/cli/src/commands/replay.ts';

const run = promisify(execFile);

export const CAPTURE_DIR = process.env.PEREGRINE_SCAP_DIR ?? join(import.meta.dirname, '../../../shared/scap');

export function captures(): string[] {
  return readdirSync(CAPTURE_DIR).filter((f) => f.endsWith('.scap')).sort().map((f) => join(CAPTURE_DIR, f));
}

/** sysdig's lines; rejects with sysdig's message when it cannot compile the filter or format. */
export async function sysdigLines(file: string, format: string, filter: string): Promise<string[]> {
  const args = ['-r', file, '-p', format];
  if (filter) args.push(filter);
  const { stdout } = await run('sysdig', args, { maxBuffer: 1 << 28 });
  return stdout.split('\n').filter((l) => l !== '');
}

/** Each capture is replayed once per test process; the pairs then run over its batches. */
const replayed = new Map<string, EventBatch[]>();

function batchesOf(file: string): EventBatch[] {
  let batches = replayed.get(file);
  if (!batches) {
    batches = [];
    const gen = replayBatches(readCapture(file));
    for (let r = gen.next(); !r.done; r = gen.next()) batches.push(r.value);
    replayed.set(file, batches);
  }
  return batches;
}

export function ourLines(file: string, format: string, filter: string): string[] {
  const lines: string[] = [];
  const gen = linesOf(batchesOf(file)[Symbol.iterator](), printPlan(filter, format));
  for (;;) {
    const r = gen.next();
    if (r.done) {
      if (r.value) throw r.value;
      return lines;
    }
    lines.push(r.value);
  }
}

/** Runs `fn` over items with at most `limit` in flight (sysdig processes on 2 vCPUs). */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
