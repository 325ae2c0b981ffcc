/**
 * The replay source stage: a capture file played as batches into the pipeline, in file order, as fast as the bus
 * accepts them. Config: `file` (the capture), `batchSize` (events per batch).
 */
import type { SourceContext, SourceStage, StageInit } from '@peregrine/runtime';
import { DEFAULT_BATCH_SIZE, readCapture, replayBatches, type ReplaySummary } from './replay.ts';
import { ScapError } from './errors.ts';

export interface ReplaySourceOptions {
  file: string;
  batchSize?: number;
  /** called once the file is consumed (or stopped early), with the counts and the error if any */
  onDone?: (summary: ReplaySummary) => void;
}

export function replaySource(opts: ReplaySourceOptions): SourceStage {
  let node = 'replay';
  return {
    kind: 'source',
    name: 'replay',
    init(init: StageInit) {
      node = init.node;
    },
    async run(ctx: SourceContext) {
      let summary: ReplaySummary;
      try {
        const gen = replayBatches(readCapture(opts.file), { node, batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE });
        for (;;) {
          const r = gen.next();
          if (r.done) {
            summary = r.value;
            break;
          }
          if (ctx.signal.aborted) {
            summary = { events: r.value.events.at(-1)?.num ?? 0, batches: r.value.seq, error: null };
            break;
          }
          await ctx.emitBatch(r.value);
        }
      } catch (e) {
        if (!(e instanceof ScapError)) throw e;
        summary = { events: 0, batches: 0, error: e };
      }
      if (summary.error) ctx.logger.error('capture stopped early', { file: opts.file, offset: summary.error.offset, reason: summary.error.reason });
      ctx.logger.info('replay done', { file: opts.file, events: summary.events, batches: summary.batches });
      opts.onDone?.(summary);
    },
  };
}
