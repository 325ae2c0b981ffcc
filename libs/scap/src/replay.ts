/**
 * A capture as a sequence of EventBatches, in file order. A bad block ends the sequence: the batch in progress is
 * still delivered, and the summary carries the ScapError with its byte offset.
 */
import { readFileSync } from 'node:fs';
import type { EventBatch } from '@peregrine/event';
import { EventCursor, openCapture, type Capture } from './capture.ts';
import { ScapError } from './errors.ts';
import { Parser } from './parser.ts';

export interface ReplayOptions {
  /** the node name batches carry (evt.hostname) */
  node?: string;
  /** events per batch */
  batchSize?: number;
  /** only these evt.type names go into batches (the consumer's gate); null or absent for all */
  eventTypes?: ReadonlySet<string> | null;
}

export interface ReplaySummary {
  /** events counted as libsinsp counts them (the last evt.num) */
  events: number;
  batches: number;
  /** why reading stopped early, or null at a clean end */
  error: ScapError | null;
}

export const DEFAULT_BATCH_SIZE = 1024;

export function readCapture(path: string): Capture {
  return openCapture(readFileSync(path), path);
}

export function* replayBatches(capture: Capture, opts: ReplayOptions = {}): Generator<EventBatch, ReplaySummary> {
  const parser = new Parser(capture, {
    node: opts.node ?? 'replay', batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE, eventTypes: opts.eventTypes ?? null,
  });
  const cursor = new EventCursor(capture);
  let batches = 0;
  let error: ScapError | null = null;
  for (;;) {
    let more: boolean;
    try {
      more = cursor.next();
    } catch (e) {
      if (!(e instanceof ScapError)) throw e;
      error = e;
      more = false;
    }
    if (!more) break;
    const full = parser.step(cursor);
    if (full) {
      batches++;
      yield full;
    }
  }
  if (parser.pending() > 0) {
    batches++;
    yield parser.cut();
  }
  return { events: parser.num, batches, error };
}
