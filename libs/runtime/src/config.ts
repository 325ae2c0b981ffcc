/**
 * The config file (YAML) plus env overrides. `PEREGRINE_A__B_C=v` sets key `b_c`/`bC` under `a` (segments are
 * separated by `__`, matched to existing keys ignoring case and `_`); the value is read as YAML, so numbers, booleans
 * and `[a, b]` lists work. Each stage gets `stages.<name>` as its StageInit.config.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_ALERT_SUBJECT_TEMPLATE, alertSubjectTemplate } from '@peregrine/bus';
import { ConfigError } from './errors.ts';

export type ConfigTree = Record<string, unknown>;

export interface RuntimeSettings {
  /** Batches handled at once per stage; results are still published in input order. */
  concurrency: number;
  /** A message larger than this is bad input ('oversized'). NATS refuses more than its max_payload (1 MiB) anyway. */
  maxMessageBytes: number;
  /** Bytes a consumer buffers ahead of its handler (bounds each JetStream pull). */
  maxPendingBytes: number;
  /** Messages delivered and not yet acked, per consumer. */
  maxAckPending: number;
  /** Bad input is logged at most once per interval per (subject, reason). */
  badInputLogIntervalMs: number;
  drainTimeoutMs: number;
  /** How long a draining host still honours KEEP_TRACE for the spans it holds. */
  keepTraceGraceMs: number;
}

export interface HttpSettings {
  /** 0 picks a free port (logged); -1 disables the server. */
  port: number;
  host: string;
}

export interface LoadedConfig {
  /** The whole tree after env overrides. */
  tree: ConfigTree;
  file: string | undefined;
  /** Relative module paths in the pipeline resolve against this. */
  baseDir: string;
  node: string;
  runtime: RuntimeSettings;
  http: HttpSettings;
  sampleRatio: number | undefined;
  logLevel: string;
  /** `alerts.subjectTemplate`: where alerts are published, as falcosidekick's subjecttemplate. */
  alertSubjectTemplate: string;
}

const ENV_PREFIX = 'PEREGRINE_';
/** Variables with the prefix that are not config (the test suite's NATS URL). */
const NOT_CONFIG = new Set(['PEREGRINE_TEST_NATS_URL']);

function normalise(key: string): string {
  return key.replace(/_/g, '').toLowerCase();
}

function camel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function applyEnvOverrides(tree: ConfigTree, env: NodeJS.ProcessEnv): ConfigTree {
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || NOT_CONFIG.has(name) || value === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').filter(Boolean);
    if (path.length === 0) continue;
    let node: ConfigTree = tree;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const existing = Object.keys(node).find((k) => normalise(k) === normalise(seg));
      const key = existing ?? camel(seg);
      if (i === path.length - 1) {
        node[key] = parseEnvValue(value);
      } else {
        const child = node[key];
        if (typeof child !== 'object' || child === null || Array.isArray(child)) node[key] = {};
        node = node[key] as ConfigTree;
      }
    }
  }
  return tree;
}

function parseEnvValue(value: string): unknown {
  try {
    return parse(value) ?? value;
  } catch {
    return value;
  }
}

function section(tree: ConfigTree, key: string, file: string | undefined): ConfigTree {
  const v = tree[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(file, key, 'must be a mapping');
  return v as ConfigTree;
}

function positive(o: ConfigTree, key: string, path: string, file: string | undefined, dflt: number, min = 1): number {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ConfigError(file, `${path}.${key}`, `must be an integer >= ${min}`);
  return v;
}

export function readConfigFile(file: string): ConfigTree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, '', `cannot read: ${(e as Error).message}`, { cause: e });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    const pos = (e as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
    throw new ConfigError(file, '', `not valid YAML${pos ? ` at line ${pos.line} col ${pos.col}` : ''}: ${(e as Error).message}`, { cause: e });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(file, '', 'the top level must be a mapping');
  return doc as ConfigTree;
}

export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const tree = applyEnvOverrides(file ? readConfigFile(file) : {}, env);
  const rt = section(tree, 'runtime', file);
  const http = section(tree, 'http', file);
  const telemetry = section(tree, 'telemetry', file);
  const log = section(tree, 'log', file);
  const alerts = section(tree, 'alerts', file);
  const nodeRaw = tree.node ?? env.NODE_NAME;
  if (nodeRaw !== undefined && (typeof nodeRaw !== 'string' || nodeRaw === '')) throw new ConfigError(file, 'node', 'must be a non-empty string');
  const ratio = telemetry.sampleRatio;
  if (ratio !== undefined && (typeof ratio !== 'number' || ratio < 0 || ratio > 1)) {
    throw new ConfigError(file, 'telemetry.sampleRatio', 'must be a number in [0, 1]');
  }
  const template = alerts.subjectTemplate ?? DEFAULT_ALERT_SUBJECT_TEMPLATE;
  if (typeof template !== 'string') throw new ConfigError(file, 'alerts.subjectTemplate', 'must be a string such as falco.<priority>.<rule>');
  try {
    alertSubjectTemplate(template);
  } catch (e) {
    throw new ConfigError(file, 'alerts.subjectTemplate', (e as Error).message, { cause: e });
  }
  const port = http.port ?? 9464;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < -1 || port > 65535) throw new ConfigError(file, 'http.port', 'must be a port number, 0 (any) or -1 (off)');
  return {
    tree,
    file,
    baseDir: file ? dirname(file) : process.cwd(),
    node: (nodeRaw as string | undefined) ?? hostname(),
    runtime: {
      concurrency: positive(rt, 'concurrency', 'runtime', file, 4),
      maxMessageBytes: positive(rt, 'maxMessageBytes', 'runtime', file, 2 ** 20),
      maxPendingBytes: positive(rt, 'maxPendingBytes', 'runtime', file, 32 * 2 ** 20),
      maxAckPending: positive(rt, 'maxAckPending', 'runtime', file, 256),
      badInputLogIntervalMs: positive(rt, 'badInputLogIntervalMs', 'runtime', file, 10_000, 0),
      drainTimeoutMs: positive(rt, 'drainTimeoutMs', 'runtime', file, 15_000),
      keepTraceGraceMs: positive(rt, 'keepTraceGraceMs', 'runtime', file, 1_000, 0),
    },
    http: { port, host: typeof http.host === 'string' ? http.host : '0.0.0.0' },
    sampleRatio: ratio as number | undefined,
    logLevel: typeof log.level === 'string' ? log.level : 'info',
    alertSubjectTemplate: template,
  };
}

/** The `stages.<name>` section: a stage's own config. */
export function stageConfig(cfg: LoadedConfig, stage: string): Record<string, unknown> {
  const stages = section(cfg.tree, 'stages', cfg.file);
  const own = stages[stage];
  if (own === undefined || own === null) return {};
  if (typeof own !== 'object' || Array.isArray(own)) throw new ConfigError(cfg.file, `stages.${stage}`, 'must be a mapping');
  return own as Record<string, unknown>;
}
