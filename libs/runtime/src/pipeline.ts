/**
 * The pipeline: which stages follow which. Every host reads the same `pipeline:` list so it can tell where its own
 * stages publish: a batch stage's output goes to the input subject of the next batch stage in the list (alert
 * stages consume alerts and are not part of that chain).
 *
 *   pipeline:
 *     - capture
 *     - enrichment
 *     - { name: redact, module: ./stages/redact.ts }   # a user stage: reads events.stage.redact.<node>
 *     - evaluation
 *     - output
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from './errors.ts';

export const BUILTIN_STAGES = {
  capture: '@peregrine/capture',
  enrichment: '@peregrine/enrichment',
  evaluation: '@peregrine/evaluation',
  output: '@peregrine/output',
} as const;
export type BuiltinStage = keyof typeof BUILTIN_STAGES;

export const DEFAULT_PIPELINE: readonly string[] = ['capture', 'enrichment', 'evaluation', 'output'];

export interface PipelineEntry {
  name: string;
  /** A package name, or a file path (relative to the config file's directory). */
  module: string;
  /** 'alert' for a stage that consumes alerts; it is skipped when wiring batches. */
  kind: 'batch' | 'alert';
}

function isBuiltin(name: string): name is BuiltinStage {
  return Object.hasOwn(BUILTIN_STAGES, name);
}

function entryFrom(raw: unknown, index: number, file: string | undefined): PipelineEntry {
  const key = `pipeline[${index}]`;
  if (typeof raw === 'string') {
    if (!isBuiltin(raw)) throw new ConfigError(file, key, `'${raw}' is not a built-in stage; give { name, module }`);
    return { name: raw, module: BUILTIN_STAGES[raw], kind: raw === 'output' ? 'alert' : 'batch' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(file, key, 'must be a stage name or { name, module }');
  const o = raw as Record<string, unknown>;
  if (typeof o.name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(o.name)) throw new ConfigError(file, `${key}.name`, 'must be a name of letters, digits, _ and -');
  const module = o.module ?? (isBuiltin(o.name) ? BUILTIN_STAGES[o.name] : undefined);
  if (typeof module !== 'string' || module === '') throw new ConfigError(file, `${key}.module`, 'must be a module path');
  const kind = o.kind ?? (o.name === 'output' ? 'alert' : 'batch');
  if (kind !== 'batch' && kind !== 'alert') throw new ConfigError(file, `${key}.kind`, "must be 'batch' or 'alert'");
  return { name: o.name, module, kind };
}

export function parsePipeline(raw: unknown, file: string | undefined): PipelineEntry[] {
  const list = raw ?? DEFAULT_PIPELINE;
  if (!Array.isArray(list)) throw new ConfigError(file, 'pipeline', 'must be a list');
  const entries = list.map((e, i) => entryFrom(e, i, file));
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw new ConfigError(file, 'pipeline', `stage '${e.name}' appears twice`);
    seen.add(e.name);
  }
  return entries;
}

/** The pipeline entry for `name`; a built-in stage missing from a custom pipeline runs unwired downstream. */
export function findStage(pipeline: PipelineEntry[], name: string, file: string | undefined): PipelineEntry {
  const e = pipeline.find((x) => x.name === name);
  if (e) return e;
  if (isBuiltin(name)) return entryFrom(name, -1, file);
  throw new ConfigError(file, 'pipeline', `unknown stage '${name}': not built in (${Object.keys(BUILTIN_STAGES).join(', ')}) and not in the pipeline`);
}

/** The batch stage after `name`, whose input subject `name` publishes to; undefined at the end of the chain. */
export function nextBatchStage(pipeline: PipelineEntry[], name: string): string | undefined {
  const i = pipeline.findIndex((x) => x.name === name);
  if (i < 0) return undefined;
  return pipeline.slice(i + 1).find((x) => x.kind === 'batch')?.name;
}

/** What `import()` should be given: package names as they are, paths resolved against `baseDir`. */
export function moduleSpecifier(module: string, baseDir: string): string {
  if (module.startsWith('.') || isAbsolute(module)) return pathToFileURL(resolve(baseDir, module)).href;
  return module;
}
