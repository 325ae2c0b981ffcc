/**
 * `peregrine replay FILE.scap [--rules FILE…]`: the capture replaces the capture stage of the configured pipeline
 * (enrichment when configured, evaluation, output), on the in-memory bus or on NATS with --nats. Alerts go where
 * the output stage sends them (stdout by default); the process exits once everything replayed has drained.
 */
import { MemoryBus, type Bus } from '@peregrine/bus';
import {
  ConfigError, Host, StageLoadError, createLogger, loadConfig, loadStage, nextBatchStage, parsePipeline, stageConfig,
  type HostedStage, type LoadedConfig,
} from '@peregrine/runtime';
import { replaySource, type ReplaySummary } from '@peregrine/scap';
import { applyRulesOverride, connectNats } from './pipeline-setup.ts';

export interface ReplayPipelineArgs {
  rules: string[];
  config: string | undefined;
  nats: string | undefined;
}

function connectBus(args: ReplayPipelineArgs, cfg: LoadedConfig): Promise<Bus> {
  return args.nats ? connectNats(cfg, args.nats) : Promise.resolve(new MemoryBus());
}

export async function runReplayPipeline(file: string, args: ReplayPipelineArgs): Promise<number> {
  let cfg: LoadedConfig;
  const stages: HostedStage[] = [];
  let summary: ReplaySummary | undefined;
  let bus: Bus;
  try {
    cfg = loadConfig(args.config);
    applyRulesOverride(cfg, args.rules);
    const pipeline = parsePipeline(cfg.tree.pipeline, cfg.file);
    for (const e of pipeline) {
      const stage = e.name === 'capture'
        ? replaySource({ file, onDone: (s) => { summary = s; } })
        : await loadStage(e, cfg.baseDir);
      stages.push({ name: e.name, stage, config: stageConfig(cfg, e.name), next: nextBatchStage(pipeline, e.name) });
    }
    if (!stages.some((s) => s.name === 'capture')) throw new ConfigError(cfg.file, 'pipeline', 'replay needs a capture stage to stand in for');
    bus = await connectBus(args, cfg);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StageLoadError || (e as Error).name === 'BusConfigError') {
      process.stderr.write(`peregrine replay: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
  const logger = createLogger({ level: cfg.logLevel, fields: { node: cfg.node } });
  const host = new Host({
    bus, node: cfg.node, stages, settings: cfg.runtime, logger, http: null, alertSubjectTemplate: cfg.alertSubjectTemplate, keepTrace: () => false,
  });
  try {
    await host.start();
    await host.sourcesDone();
  } finally {
    await host.drain();
  }
  if (summary?.error) {
    process.stderr.write(`peregrine replay: ${summary.error.message}\n`);
    return 1;
  }
  return 0;
}
