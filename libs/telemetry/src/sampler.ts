/**
 * Ratio sampling that still records every span. The sampled flag (decided once at the trace root, by trace id, and
 * inherited through `traceparent`) says what is exported at once; unsampled spans are recorded too, so a stage can
 * still export them when the batch turns out to raise an alert (see keep-processor.ts).
 */
import { SpanKind, TraceFlags, type Attributes, type Context, type Link, trace } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base';

export class RecordingRatioSampler implements Sampler {
  private readonly root: TraceIdRatioBasedSampler;

  constructor(readonly ratio: number) {
    this.root = new TraceIdRatioBasedSampler(ratio);
  }

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const parent = trace.getSpanContext(context);
    let sampled: boolean;
    if (parent && trace.isSpanContextValid(parent)) sampled = (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
    else sampled = this.root.shouldSample(context, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED;
    void name; void kind; void attributes; void links;
    return { decision: sampled ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.RECORD };
  }

  toString(): string {
    return `RecordingRatioSampler{${this.ratio}}`;
  }
}
