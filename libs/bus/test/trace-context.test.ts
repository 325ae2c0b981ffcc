import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, TraceFlags, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { extractTraceContext, injectTraceHeaders, recordCarrier, type HeaderCarrier } from '../src/trace-context.ts';

propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const traceId = '0af7651916cd43dd8448eb211c80319c';
const spanId = 'b7ad6b7169203331';

test('inject writes W3C traceparent/tracestate and extract reads them back as a remote parent', () => {
  const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
  const headers = injectTraceHeaders(ctx);
  assert.equal(headers.traceparent, `00-${traceId}-${spanId}-01`);
  const back = trace.getSpanContext(extractTraceContext(recordCarrier(headers)))!;
  assert.equal(back.traceId, traceId);
  assert.equal(back.spanId, spanId);
  assert.equal(back.isRemote, true);
});

test('extraction never throws: malformed, missing or throwing headers give the root context', () => {
  for (const bad of ['garbage', `00-${'0'.repeat(32)}-${spanId}-01`, '00-xyz-abc-01', '']) {
    const ctx = extractTraceContext(recordCarrier({ traceparent: bad }));
    assert.equal(trace.getSpanContext(ctx), undefined, `traceparent '${bad}'`);
  }
  assert.equal(extractTraceContext(undefined), ROOT_CONTEXT);
  const throwing: HeaderCarrier = { get() { throw new Error('boom'); }, keys() { throw new Error('boom'); } };
  assert.equal(extractTraceContext(throwing), ROOT_CONTEXT);
  assert.deepEqual(injectTraceHeaders(ROOT_CONTEXT), {});
});
