/**
 * The output stage's section of the config file (`stages.output`). Every key is optional; with no destinations configured alerts go to
 * stdout as text, as Falco's do.
 *
 *   stateDir: .peregrine/output        # spools (per destination) and the flood-control journal
 *   customFields: { cluster: prod }    # added to output_fields on every destination
 *   dedup: { windowSeconds: 0, keyFields: [] }
 *   rateLimit: { perRule: 0, intervalSeconds: 60 }
 *   retry: { initialMs: 500, maxMs: 30000, maxQueued: 1000000 }   # spool retry backoff and size per destination
 *   destinations: [ { name, type, minimumPriority, route, customFields, …type keys } ]
 *   responses: { rulesFile, kubeconfig, killTimeoutMs, webhookTimeoutMs }
 */
import { join } from 'node:path';
import { isTree, num, optStr, str, strList, strMap, tree, type Tree } from './config-reader.ts';
import { OutputConfigError } from './errors.ts';
import type { RetryPolicy } from './runner.ts';
import { readRoute, type RouteSpec } from './route.ts';

export const DESTINATION_TYPES = ['stdout', 'file', 'webhook', 'syslog', 'slack', 'chat', 'loki', 'prometheus'] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

export interface DestinationSpec {
  name: string;
  type: DestinationType;
  route: RouteSpec;
  /** Global custom fields merged with this destination's own (its own win). */
  customFields: Record<string, string>;
  /** The destination's own map, read by its builder; `path` names it in errors. */
  raw: Tree;
  path: string;
}

export interface DedupConfig {
  /** 0 disables dedup. */
  windowSeconds: number;
  /** output_fields that make two alerts of one rule "the same"; empty: all fields except event times and numbers. */
  keyFields: string[];
}

export interface RateLimitConfig {
  /** Alerts per rule per interval; 0 disables the limit. */
  perRule: number;
  intervalSeconds: number;
}

export interface ResponsesConfig {
  rulesFile?: string;
  /** A kubeconfig file; absent: in-cluster config or ~/.kube/config (client-node's default loading). */
  kubeconfig?: string;
  killTimeoutMs: number;
  webhookTimeoutMs: number;
}

export interface OutputConfig {
  stateDir: string;
  dedup: DedupConfig;
  rateLimit: RateLimitConfig;
  retry: RetryPolicy;
  destinations: DestinationSpec[];
  responses: ResponsesConfig;
}

export function parseOutputConfig(raw: unknown): OutputConfig {
  const root = tree(raw, 'output');
  const globalFields = strMap(root, 'customFields', 'output');
  const dedup = tree(root.dedup, 'output.dedup');
  const rate = tree(root.rateLimit, 'output.rateLimit');
  const retry = tree(root.retry, 'output.retry');
  const responses = tree(root.responses, 'output.responses');
  const list = root.destinations ?? [{ type: 'stdout' }];
  if (!Array.isArray(list)) throw new OutputConfigError('output.destinations', 'expected a list');
  const names = new Set<string>();
  const destinations = list.map((d, i) => {
    const path = `output.destinations[${i}]`;
    if (!isTree(d)) throw new OutputConfigError(path, 'expected a map');
    const type = str(d, 'type', path);
    if (!(DESTINATION_TYPES as readonly string[]).includes(type)) {
      throw new OutputConfigError(`${path}.type`, `unknown destination type ${JSON.stringify(type)} (${DESTINATION_TYPES.join(', ')})`);
    }
    const name = str(d, 'name', path, type);
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new OutputConfigError(`${path}.name`, 'use letters, digits, _ . - only');
    if (names.has(name)) throw new OutputConfigError(`${path}.name`, `duplicate destination name ${name}`);
    names.add(name);
    return { name, type: type as DestinationType, route: readRoute(d, path), raw: d, path,
      customFields: { ...globalFields, ...strMap(d, 'customFields', path) } };
  });
  const initialMs = num(retry, 'initialMs', 'output.retry', 500, 1);
  return {
    stateDir: str(root, 'stateDir', 'output', join(process.cwd(), '.peregrine', 'output')),
    dedup: { windowSeconds: num(dedup, 'windowSeconds', 'output.dedup', 0), keyFields: strList(dedup, 'keyFields', 'output.dedup') },
    rateLimit: { perRule: num(rate, 'perRule', 'output.rateLimit', 0), intervalSeconds: num(rate, 'intervalSeconds', 'output.rateLimit', 60, 0.001) },
    retry: { initialMs, maxMs: Math.max(initialMs, num(retry, 'maxMs', 'output.retry', 30_000, 1)),
      maxQueued: num(retry, 'maxQueued', 'output.retry', 1_000_000, 1) },
    destinations,
    responses: {
      rulesFile: optStr(responses, 'rulesFile', 'output.responses'),
      kubeconfig: optStr(responses, 'kubeconfig', 'output.responses'),
      killTimeoutMs: num(responses, 'killTimeoutMs', 'output.responses', 5_000, 1),
      webhookTimeoutMs: num(responses, 'webhookTimeoutMs', 'output.responses', 5_000, 1),
    },
  };
}
