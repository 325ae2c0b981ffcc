/**
 * Exports sampled spans in batches, and keeps recent unsampled spans in a bounded buffer by trace id so a trace can
 * still be exported whole when one of its batches raises an alert: `keep(traceId)` exports what is buffered for
 * that trace, and spans of it that end later are exported directly.
 */
import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface KeepOptions {
  /** Unsampled spans held for a later keep(); the oldest traces go first beyond this. */
  maxBufferedSpans: number;
  /** How long an unsampled span may wait for a keep(). */
  bufferTtlMs: number;
  /** Export at least this often, and whenever `maxExportBatch` spans are queued. */
  exportIntervalMs: number;
  maxExportBatch: number;
  /** Spans waiting for export beyond this are dropped (the exporter is behind). */
  maxExportQueue: number;
}

export const DEFAULT_KEEP_OPTIONS: KeepOptions = {
  maxBufferedSpans: 20_000,
  bufferTtlMs: 60_000,
  exportIntervalMs: 1_000,
  maxExportBatch: 512,
  maxExportQueue: 20_000,
};

interface Held {
  traceId: string;
  at: number;
  spans: ReadableSpan[];
  /** Exported or evicted already: its slot in the age queue is skipped. */
  gone: boolean;
}

export class KeepingSpanProcessor implements SpanProcessor {
  private readonly opts: KeepOptions;
  private readonly held = new Map<string, Held>();
  /**
   * Held traces oldest first. A Map cannot serve as this queue: V8 keeps deleted entries as holes that every
   * iteration from the front walks again, which made eviction quadratic.
   */
  private ageQueue: Held[] = [];
  private ageHead = 0;
  private heldSpans = 0;
  /** Trace ids kept recently, with when: spans of them that end later are exported too. */
  private readonly kept = new Map<string, number>();
  private queue: ReadableSpan[] = [];
  private readonly timer: NodeJS.Timeout;
  private exporting: Promise<void> = Promise.resolve();
  dropped = 0;

  constructor(private readonly exporter: SpanExporter, opts: Partial<KeepOptions> = {}) {
    this.opts = { ...DEFAULT_KEEP_OPTIONS, ...opts };
    this.timer = setInterval(() => { void this.flushQueue(); }, this.opts.exportIntervalMs);
    this.timer.unref();
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const ctx = span.spanContext();
    if ((ctx.traceFlags & TraceFlags.SAMPLED) !== 0 || this.kept.has(ctx.traceId)) {
      this.enqueue(span);
      return;
    }
    const now = Date.now();
    let h = this.held.get(ctx.traceId);
    if (!h) {
      h = { traceId: ctx.traceId, at: now, spans: [], gone: false };
      this.held.set(ctx.traceId, h);
      this.ageQueue.push(h);
    }
    h.spans.push(span);
    this.heldSpans++;
    this.evict(now);
  }

  /** Export everything of `traceId`, held or still to end. */
  keep(traceId: string): void {
    const now = Date.now();
    this.kept.set(traceId, now);
    for (const [id, at] of this.kept) {
      if (now - at <= this.opts.bufferTtlMs) break;
      this.kept.delete(id);
    }
    const h = this.held.get(traceId);
    if (!h) return;
    this.release(h);
    for (const s of h.spans) this.enqueue(s);
  }

  /** Spans currently held for a possible keep(). */
  get buffered(): number {
    return this.heldSpans;
  }

  private release(h: Held): void {
    h.gone = true;
    this.held.delete(h.traceId);
    this.heldSpans -= h.spans.length;
  }

  private evict(now: number): void {
    while (this.ageHead < this.ageQueue.length) {
      const h = this.ageQueue[this.ageHead]!;
      if (!h.gone) {
        if (this.heldSpans <= this.opts.maxBufferedSpans && now - h.at <= this.opts.bufferTtlMs) break;
        this.release(h);
      }
      this.ageHead++;
    }
    if (this.ageHead > 1024 && this.ageHead * 2 > this.ageQueue.length) {
      this.ageQueue = this.ageQueue.slice(this.ageHead);
      this.ageHead = 0;
    }
  }

  private enqueue(span: ReadableSpan): void {
    if (this.queue.length >= this.opts.maxExportQueue) {
      this.dropped++;
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.opts.maxExportBatch) void this.flushQueue();
  }

  /** Exports are serialised: one request at a time, in the order spans were queued. */
  private flushQueue(): Promise<void> {
    this.exporting = this.exporting.then(async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.opts.maxExportBatch);
        await new Promise<void>((resolve) => {
          this.exporter.export(batch, (r) => {
            if (r.code !== ExportResultCode.SUCCESS) this.dropped += batch.length;
            resolve();
          });
        });
      }
    });
    return this.exporting;
  }

  async forceFlush(): Promise<void> {
    await this.flushQueue();
    await this.exporter.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.forceFlush();
    await this.exporter.shutdown();
  }
}
