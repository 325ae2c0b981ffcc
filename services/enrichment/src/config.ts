/**
 * The enrichment stage's config section, with defaults. Keys (all optional):
 *
 *   cluster: prod-eu            # batch.cluster on every batch
 *   metadataWaitMs: 500         # how long a new container's first events wait for metadata
 *   exitGraceMs: 60000          # how long an exited container's metadata is kept
 *   maxContainers: 16384        # cache bound (least recently used evicted first)
 *   sources: [kube, cri]        # which sources run; earlier ones win when they disagree
 *   kube:    { apiServer, token, caFile, kubeconfig, insecureSkipTlsVerify, watchOwners, pageSize, watchTimeoutSeconds,
 *              backoffBaseMs, backoffMaxMs }
 *   cri:     { socket, pollIntervalMs, timeoutMs }
 *   central: { url, bucket, publish }   # publish: this instance also runs the cluster-wide watcher
 */
import { EnrichmentConfigError } from './errors.ts';
import type { Backoff } from './sources/kube/reflector.ts';

export const SOURCE_NAMES = ['kube', 'cri', 'central'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export interface KubeSettings {
  apiServer: string;
  token: string | undefined;
  /** CA bundle for an https apiServer given explicitly. */
  caFile: string;
  kubeconfig: string;
  insecureSkipTlsVerify: boolean;
  watchOwners: boolean;
  pageSize: number;
  watchTimeoutSeconds: number;
  backoff: Backoff;
}

export interface CriSettings {
  socket: string;
  pollIntervalMs: number;
  timeoutMs: number;
}

export interface CentralSettings {
  url: string;
  bucket: string;
  publish: boolean;
}

export interface EnrichmentConfig {
  cluster: string;
  metadataWaitMs: number;
  exitGraceMs: number;
  maxContainers: number;
  sources: SourceName[];
  kube: KubeSettings;
  cri: CriSettings;
  central: CentralSettings;
}

export function parseConfig(raw: Record<string, unknown>): EnrichmentConfig {
  const kube = section(raw, 'kube');
  const cri = section(raw, 'cri');
  const central = section(raw, 'central');
  const sources = raw.sources === undefined ? [] : raw.sources;
  if (!Array.isArray(sources)) throw new EnrichmentConfigError('sources', 'expected a list');
  for (const [i, s] of sources.entries()) {
    if (!SOURCE_NAMES.includes(s)) throw new EnrichmentConfigError(`sources[${i}]`, `unknown source ${JSON.stringify(s)} (known: ${SOURCE_NAMES.join(', ')})`);
  }
  return {
    cluster: str(raw, 'cluster', 'default', ''),
    metadataWaitMs: num(raw, 'metadataWaitMs', 500, ''),
    exitGraceMs: num(raw, 'exitGraceMs', 60_000, ''),
    maxContainers: num(raw, 'maxContainers', 16_384, '', 1),
    sources: sources as SourceName[],
    kube: {
      apiServer: str(kube, 'apiServer', '', 'kube.'),
      token: kube.token === undefined ? undefined : str(kube, 'token', '', 'kube.'),
      caFile: str(kube, 'caFile', '', 'kube.'),
      kubeconfig: str(kube, 'kubeconfig', '', 'kube.'),
      insecureSkipTlsVerify: bool(kube, 'insecureSkipTlsVerify', false, 'kube.'),
      watchOwners: bool(kube, 'watchOwners', true, 'kube.'),
      pageSize: num(kube, 'pageSize', 500, 'kube.', 1),
      watchTimeoutSeconds: num(kube, 'watchTimeoutSeconds', 300, 'kube.', 1),
      backoff: { baseMs: num(kube, 'backoffBaseMs', 250, 'kube.', 1), maxMs: num(kube, 'backoffMaxMs', 30_000, 'kube.', 1) },
    },
    cri: {
      socket: str(cri, 'socket', '/run/containerd/containerd.sock', 'cri.'),
      pollIntervalMs: num(cri, 'pollIntervalMs', 2000, 'cri.', 10),
      timeoutMs: num(cri, 'timeoutMs', 2000, 'cri.', 1),
    },
    central: {
      url: str(central, 'url', 'nats://127.0.0.1:4222', 'central.'),
      bucket: str(central, 'bucket', 'peregrine_k8s_meta', 'central.'),
      publish: bool(central, 'publish', false, 'central.'),
    },
  };
}

function section(raw: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = raw[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new EnrichmentConfigError(key, 'expected a mapping');
  return v as Record<string, unknown>;
}

function str(o: Record<string, unknown>, key: string, dflt: string, prefix: string): string {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'string') throw new EnrichmentConfigError(prefix + key, `expected a string, got ${JSON.stringify(v)}`);
  return v;
}

/** Numbers may arrive as strings from env overrides. */
function num(o: Record<string, unknown>, key: string, dflt: number, prefix: string, min = 0): number {
  const v = o[key];
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min) {
    throw new EnrichmentConfigError(prefix + key, `expected a number ≥ ${min}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function bool(o: Record<string, unknown>, key: string, dflt: boolean, prefix: string): boolean {
  const v = o[key];
  if (v === undefined) return dflt;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new EnrichmentConfigError(prefix + key, `expected true or false, got ${JSON.stringify(v)}`);
}
