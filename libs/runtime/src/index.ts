export type {
  AlertStage, BatchStage, ControlChannel, HandlerContext, Logger, SourceContext, SourceStage, Stage, StageFactory,
  StageInit, StageMetrics,
} from './stage.ts';
export { Host, BadReason } from './host.ts';
export type { HostOptions, HostedStage } from './host.ts';
export { applyEnvOverrides, loadConfig, readConfigFile, stageConfig } from './config.ts';
export type { ConfigTree, HttpSettings, LoadedConfig, RuntimeSettings } from './config.ts';
export { createLogger, LogRateLimiter, LOG_LEVELS } from './logger.ts';
export type { LogLevel, LogSink } from './logger.ts';
export { HostMetrics, stageMetricsOn } from './metrics.ts';
export { BUILTIN_STAGES, DEFAULT_PIPELINE, findStage, moduleSpecifier, nextBatchStage, parsePipeline } from './pipeline.ts';
export type { BuiltinStage, PipelineEntry } from './pipeline.ts';
export { loadStage } from './loader.ts';
export { startHealthServer } from './http.ts';
export type { HealthServer } from './http.ts';
export { ConfigError, StageLoadError } from './errors.ts';
