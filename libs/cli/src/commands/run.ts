/**
 * `peregrine run --all` runs every pipeline stage in this process on the in-memory bus, prints alerts as Falco JSON
 * lines on stdout and logs on stderr. `peregrine run STAGE…` runs the named stages against NATS. Either way a line
 * containing `ready` goes to stderr once every stage is subscribed; SIGTERM/SIGINT drain and exit 0.
 */
import type { Alert } from '@peregrine/event';
import { MemoryBus, encodeAlert, type Bus } from '@peregrine/bus';
import {
  ConfigError, Host, StageLoadError, createLogger, findStage, loadConfig, loadStage, nextBatchStage, parsePipeline,
  stageConfig, type AlertStage, type HostedStage, type LoadedConfig, type PipelineEntry,
} from '@peregrine/runtime';
import { startTelemetry, TelemetryConfigError, type Telemetry } from '@peregrine/telemetry';
import { applyRulesOverride, connectNats } from './pipeline-setup.ts';

const USAGE = `usage: peregrine run --all | STAGE… [--rules FILE…] [--config FILE] [--nats URL]`;

interface RunArgs {
  all: boolean;
  stages: string[];
  rules: string[];
  config: string | undefined;
  nats: string | undefined;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseRunArgs(argv: string[]): RunArgs {
  const a: RunArgs = { all: false, stages: [], rules: [], config: undefined, nats: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--all': a.all = true; break;
      case '--config': a.config = value(); break;
      case '--nats': a.nats = value(); break;
      case '--rules':
        a.rules.push(value());
        while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) a.rules.push(argv[++i]!);
        break;
      default:
        if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
        a.stages.push(arg);
    }
  }
  if (a.all === (a.stages.length > 0)) throw new UsageError(a.all ? '--all runs every stage: name no stages with it' : 'name the stages to run, or --all');
  if (a.all && a.nats) throw new UsageError('--all runs on the in-memory bus: --nats does not apply');
  return a;
}

/** `run --all` prints alerts itself: the one place stdout is written. */
function stdoutAlerts(): AlertStage {
  return {
    kind: 'alert',
    name: 'stdout',
    handle(alert: Alert) {
      process.stdout.write(`${encodeAlert(alert)}\n`);
    },
  };
}

/**
 * `run --all` prints alerts as Falco JSON lines on stdout, one per alert: through the built-in output stage's stdout
 * destination when it runs and the user configured no destinations (an absent or empty `destinations:` key, which
 * the output stage alone would read as its stdout text default), or through a small stdout stage when no output
 * stage runs. Destinations the user did configure are left as they are.
 */
function printAlertsOnStdout(stages: HostedStage[]): void {
  const output = stages.find((s) => s.name === 'output');
  if (!output) {
    stages.push({ name: 'stdout', stage: stdoutAlerts(), config: {}, next: undefined });
    return;
  }
  if (output.config.destinations === undefined || output.config.destinations === null) {
    output.config = { ...output.config, destinations: [{ type: 'stdout', format: 'json' }] };
  }
}

async function hostedStages(cfg: LoadedConfig, pipeline: PipelineEntry[], names: string[]): Promise<HostedStage[]> {
  const entries = names.map((n) => findStage(pipeline, n, cfg.file));
  const order = (e: PipelineEntry) => { const i = pipeline.indexOf(e); return i < 0 ? pipeline.length : i; };
  entries.sort((x, y) => order(x) - order(y));
  const out: HostedStage[] = [];
  for (const e of entries) {
    out.push({ name: e.name, stage: await loadStage(e, cfg.baseDir), config: stageConfig(cfg, e.name), next: nextBatchStage(pipeline, e.name) });
  }
  return out;
}

function connectBus(args: RunArgs, cfg: LoadedConfig): Promise<Bus> {
  return args.all ? Promise.resolve(new MemoryBus()) : connectNats(cfg, args.nats);
}

export async function run(argv: string[]): Promise<number> {
  const log = createLogger({ level: process.env.PEREGRINE_LOG__LEVEL });
  let args: RunArgs;
  try {
    args = parseRunArgs(argv);
  } catch (e) {
    process.stderr.write(`peregrine run: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  let cfg: LoadedConfig;
  let stages: HostedStage[];
  let telemetry: Telemetry;
  let bus: Bus;
  try {
    cfg = loadConfig(args.config);
    applyRulesOverride(cfg, args.rules);
    const pipeline = parsePipeline(cfg.tree.pipeline, cfg.file);
    const names = args.all ? pipeline.map((e) => e.name) : args.stages;
    telemetry = startTelemetry({ serviceName: `peregrine-${args.all ? 'all' : names.join('-')}`, sampleRatio: cfg.sampleRatio });
    stages = await hostedStages(cfg, pipeline, names);
    if (args.all) printAlertsOnStdout(stages);
    try {
      bus = await connectBus(args, cfg);
    } catch (e) {
      if ((e as Error).name === 'BusConfigError') throw e;
      process.stderr.write(`peregrine run: NATS (${args.nats ?? 'from config'}): ${(e as Error).message}\n`);
      return 1;
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StageLoadError || e instanceof TelemetryConfigError || (e as Error).name === 'BusConfigError') {
      process.stderr.write(`peregrine run: ${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`peregrine run: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
  const logger = createLogger({ level: cfg.logLevel, fields: { node: cfg.node } });
  const host = new Host({
    // In one process every stage hears KEEP_TRACE before the drain ends: no grace needed.
    bus, node: cfg.node, stages, settings: args.all ? { ...cfg.runtime, keepTraceGraceMs: 0 } : cfg.runtime, logger,
    http: cfg.http.port < 0 ? null : cfg.http,
    alertSubjectTemplate: cfg.alertSubjectTemplate,
    keepTrace: (id) => telemetry.keepTrace(id),
  });
  // Listen for good, not once: a wrapper (npx, a shell) may forward the same signal again, which must not kill the
  // drain half-way.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => { log.info('signal', { signal }); resolve(); };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  try {
    await host.start();
  } catch (e) {
    logger.error('start failed', { error: e });
    await host.drain().catch(() => {});
    await telemetry.shutdown().catch(() => {});
    return 1;
  }
  // With no HTTP server and finite sources nothing else may hold the event loop: stay up until the signal (node
  // would otherwise exit 13 on the unsettled wait).
  const keepAlive = setInterval(() => {}, 2 ** 30);
  await stopped;
  clearInterval(keepAlive);
  await host.drain();
  await telemetry.shutdown().catch((e: Error) => logger.warn('telemetry shutdown failed', { error: e }));
  // Nothing should keep the process alive now; if a stage left a handle open, still exit.
  setTimeout(() => process.exit(0), 2000).unref();
  return 0;
}
