import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { sampleRatioFrom, startTelemetry } from '../src/sdk.ts';
import { TelemetryConfigError } from '../src/errors.ts';

test('sample ratio: OTEL_TRACES_SAMPLER_ARG over config, default 0.01, bad values named', () => {
  assert.equal(sampleRatioFrom({}, undefined), 0.01);
  assert.equal(sampleRatioFrom({}, 0.5), 0.5);
  assert.equal(sampleRatioFrom({ OTEL_TRACES_SAMPLER_ARG: '0.25' }, 0.5), 0.25);
  assert.throws(() => sampleRatioFrom({ OTEL_TRACES_SAMPLER_ARG: '2' }, undefined), (e: unknown) => e instanceof TelemetryConfigError && e.key === 'OTEL_TRACES_SAMPLER_ARG');
});

test('startTelemetry registers a provider whose service name and sampling come from config and env', async () => {
  const exporter = new InMemorySpanExporter();
  const t = startTelemetry({ serviceName: 'peregrine-test', sampleRatio: 0, exporter, env: {} });
  const span = trace.getTracer('x').startSpan('held');
  assert.equal(span.isRecording(), true);
  span.end();
  await t.flush();
  assert.equal(exporter.getFinishedSpans().length, 0, 'unsampled: held, not exported');
  t.keepTrace(span.spanContext().traceId);
  await t.flush();
  const [got] = exporter.getFinishedSpans();
  assert.equal(got?.name, 'held');
  assert.equal(got?.resource.attributes['service.name'], 'peregrine-test');
  assert.throws(() => startTelemetry({ serviceName: 'x', env: { OTEL_TRACES_EXPORTER: 'zipkin' } }), /OTEL_TRACES_EXPORTER/);
  await t.shutdown();
});
