/**
 * Wires the OpenTelemetry Node SDK in a process's entry point. Stages and the runtime use `@opentelemetry/api` only.
 * Standard `OTEL_*` env applies: OTEL_SDK_DISABLED, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_PROPAGATORS,
 * OTEL_TRACES_EXPORTER (otlp | console | none), OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT/HEADERS/TIMEOUT (default
 * http/protobuf to http://localhost:4318/v1/traces, which Jaeger accepts), OTEL_TRACES_SAMPLER_ARG (the ratio).
 */
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { KeepingSpanProcessor, type KeepOptions } from './keep-processor.ts';
import { RecordingRatioSampler } from './sampler.ts';
import { TelemetryConfigError } from './errors.ts';

export interface TelemetryOptions {
  /** Used unless OTEL_SERVICE_NAME is set. */
  serviceName: string;
  /** Share of batch traces exported unconditionally; OTEL_TRACES_SAMPLER_ARG overrides. Default 0.01. */
  sampleRatio?: number;
  /** Replaces the exporter chosen from env (tests pass an in-memory one). */
  exporter?: SpanExporter;
  keep?: Partial<KeepOptions>;
  env?: NodeJS.ProcessEnv;
}

export interface Telemetry {
  /** Export the whole trace, whatever its sampling decision (its batch raised an alert). */
  keepTrace(traceId: string): void;
  readonly sampleRatio: number;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function sampleRatioFrom(env: NodeJS.ProcessEnv, configured: number | undefined): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG;
  const ratio = raw !== undefined && raw !== '' ? Number(raw) : configured ?? 0.01;
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new TelemetryConfigError(raw !== undefined ? 'OTEL_TRACES_SAMPLER_ARG' : 'telemetry.sampleRatio', `${raw ?? configured} is not a ratio in [0, 1]`);
  }
  return ratio;
}

function exporterFrom(env: NodeJS.ProcessEnv): SpanExporter | undefined {
  const kind = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',')[0]!.trim();
  switch (kind) {
    case 'none': return undefined;
    case 'console': return new ConsoleSpanExporter();
    case 'otlp': {
      const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
      if (protocol !== 'http/protobuf') throw new TelemetryConfigError('OTEL_EXPORTER_OTLP_PROTOCOL', `'${protocol}' is not supported, use http/protobuf`);
      return new OTLPTraceExporter();
    }
    default: throw new TelemetryConfigError('OTEL_TRACES_EXPORTER', `'${kind}' is not one of otlp, console, none`);
  }
}

export function startTelemetry(opts: TelemetryOptions): Telemetry {
  const env = opts.env ?? process.env;
  const sampleRatio = sampleRatioFrom(env, opts.sampleRatio);
  const disabled = env.OTEL_SDK_DISABLED === 'true';
  const exporter = disabled ? undefined : opts.exporter ?? exporterFrom(env);
  const processor = exporter ? new KeepingSpanProcessor(exporter, opts.keep) : undefined;
  const sdk = new NodeSDK({
    ...(env.OTEL_SERVICE_NAME ? {} : { serviceName: opts.serviceName }),
    sampler: new RecordingRatioSampler(sampleRatio),
    spanProcessors: processor ? [processor] : [],
    // Metrics go to Prometheus (/metrics), logs to stderr: the SDK must not export either.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return {
    sampleRatio,
    keepTrace: (traceId) => processor?.keep(traceId),
    flush: async () => { await processor?.forceFlush(); },
    shutdown: () => sdk.shutdown(),
  };
}
