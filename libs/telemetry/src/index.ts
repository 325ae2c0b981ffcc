export { startTelemetry, sampleRatioFrom } from './sdk.ts';
export type { Telemetry, TelemetryOptions } from './sdk.ts';
export { KeepingSpanProcessor, DEFAULT_KEEP_OPTIONS } from './keep-processor.ts';
export type { KeepOptions } from './keep-processor.ts';
export { RecordingRatioSampler } from './sampler.ts';
export { TelemetryConfigError } from './errors.ts';
