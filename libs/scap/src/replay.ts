/**
 * A capture as a sequence of EventBatches, in file order. A bad block ends the sequence: the batch in progress is
 * still delivered, and the summary carries the ScapError with its byte offset.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
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

/** A plain capture larger than this is read through a window of this many bytes instead of all at once. */
export const WINDOW_BYTES = 1 << 20;

/**
 * Opens a capture file. A compressed or small one is read whole; a large plain one only up to its first events,
 * and its cursors read the rest a window at a time (no copy of the whole file in memory).
 */
export function readCapture(path: string, windowBytes = WINDOW_BYTES): Capture {
  const fd = openSync(path, 'r');
  let head: Buffer;
  let size: number;
  try {
    const stat = fstatSync(fd);
    // a pipe or device has no size to window over
    if (!stat.isFile()) return openCapture(readFileSync(fd), path);
    size = stat.size;
    head = readPrefix(fd, Math.min(size, windowBytes));
  } finally {
    closeSync(fd);
  }
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  if (gzip || size <= windowBytes) return openCapture(size <= windowBytes ? head : readFileSync(path), path);
  for (;;) {
    try {
      return { ...openCapture(head, path), window: { path, size, bytes: windowBytes } };
    } catch (e) {
      // the metadata blocks go on past what was read: read more of the file, up to all of it
      if (!(e instanceof ScapError) || e.code !== 'truncated' || head.length >= size) throw e;
      const more = openSync(path, 'r');
      try {
        head = readPrefix(more, Math.min(size, head.length * 2));
      } finally {
        closeSync(more);
      }
    }
  }
}

function readPrefix(fd: number, bytes: number): Buffer {
  const buf = Buffer.allocUnsafe(bytes);
  let filled = 0;
  while (filled < bytes) {
    const n = readSync(fd, buf, filled, bytes - filled, filled);
    if (n === 0) break;
    filled += n;
  }
  return filled === bytes ? buf : buf.subarray(0, filled);
}

export function* replayBatches(capture: Capture, opts: ReplayOptions = {}): Generator<EventBatch, ReplaySummary> {
  const parser = new Parser(capture, {
    node: opts.node ?? 'replay', batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE, eventTypes: opts.eventTypes ?? null,
  });
  const cursor = new EventCursor(capture);
  const reading: ReadState = { error: null };
  let batches = 0;
  for (let full = nextBatch(parser, cursor, reading); full; full = nextBatch(parser, cursor, reading)) {
    batches++;
    yield full;
  }
  if (parser.pending() > 0) {
    batches++;
    yield parser.cut();
  }
  return { events: parser.num, batches, error: reading.error };
}

interface ReadState {
  error: ScapError | null;
}

/**
 * Steps through events until a batch is full (returned) or reading stops (null, a bad block's error in `reading`).
 * The per-event loop lives in this plain function rather than the generator, so it is optimized while it runs.
 */
function nextBatch(parser: Parser, cursor: EventCursor, reading: ReadState): EventBatch | null {
  for (;;) {
    try {
      if (!cursor.next()) return null;
    } catch (e) {
      if (!(e instanceof ScapError)) throw e;
      reading.error = e;
      return null;
    }
    const full = parser.step(cursor);
    if (full) return full;
  }
}
