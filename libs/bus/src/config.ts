/**
 * Bus settings, read from the `nats:` and `streams:` sections of the config file. Every key is optional; a wrong
 * type is a BusConfigError naming the key.
 */
import { BusConfigError } from './errors.ts';

export interface TlsConfig {
  /** PEM files */
  ca?: string;
  cert?: string;
  key?: string;
}

export interface NatsConfig {
  servers: string[];
  /** Client name shown by the server (connz). */
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
  /** A file holding an nkey seed (SU…). */
  nkeySeedFile?: string;
  /** A `.creds` file (JWT + seed). */
  credsFile?: string;
  tls?: TlsConfig;
  /** -1 keeps reconnecting for ever. */
  maxReconnectAttempts: number;
  reconnectTimeWaitMs: number;
  /** How long a durable publish waits for the JetStream ack. */
  publishTimeoutMs: number;
  /** How long a consumer may hold a message before the server redelivers it. */
  ackWaitMs: number;
  /**
   * How long one pull request waits for messages; a drain waits at most this for the open one to end. nats.js gives
   * up on a request 5% after this, so the margin against a last message arriving late grows with it: under 5 s the
   * margin gets thin enough for a busy process to drop a delivered message (redelivered out of order after ackWait).
   */
  fetchExpiresMs: number;
}

export interface StreamLimits {
  maxAgeSeconds: number;
  maxBytes: number;
  /** Window in which a repeated Nats-Msg-Id is dropped. */
  duplicateWindowSeconds: number;
}

export interface StreamsConfig {
  events: StreamLimits;
  alerts: StreamLimits;
}

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

function section(raw: unknown, key: string): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new BusConfigError(key, 'must be a mapping');
  return raw as Record<string, unknown>;
}

function str(o: Record<string, unknown>, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw new BusConfigError(`${path}.${key}`, 'must be a non-empty string');
  return v;
}

function num(o: Record<string, unknown>, key: string, path: string, dflt: number): number {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new BusConfigError(`${path}.${key}`, 'must be a number');
  return v;
}

export function parseNatsConfig(raw: unknown): NatsConfig {
  const o = section(raw, 'nats');
  const serversRaw = o.servers ?? o.url;
  let servers: string[];
  if (serversRaw === undefined || serversRaw === null) servers = [DEFAULT_NATS_URL];
  else if (typeof serversRaw === 'string') servers = serversRaw.split(',').map((s) => s.trim()).filter(Boolean);
  else if (Array.isArray(serversRaw) && serversRaw.every((s) => typeof s === 'string')) servers = serversRaw as string[];
  else throw new BusConfigError('nats.servers', 'must be a URL or a list of URLs');
  if (servers.length === 0) throw new BusConfigError('nats.servers', 'is empty');
  const tlsRaw = section(o.tls, 'nats.tls');
  const tls: TlsConfig = {};
  for (const k of ['ca', 'cert', 'key'] as const) {
    const v = str(tlsRaw, k, 'nats.tls');
    if (v) tls[k] = v;
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new BusConfigError('nats.tls', 'cert and key go together');
  const cfg: NatsConfig = {
    servers,
    maxReconnectAttempts: num(o, 'maxReconnectAttempts', 'nats', -1),
    reconnectTimeWaitMs: num(o, 'reconnectTimeWaitMs', 'nats', 1000),
    publishTimeoutMs: num(o, 'publishTimeoutMs', 'nats', 10_000),
    ackWaitMs: num(o, 'ackWaitMs', 'nats', 30_000),
    fetchExpiresMs: Math.max(1000, num(o, 'fetchExpiresMs', 'nats', 5000)),
  };
  const optional = { name: str(o, 'name', 'nats'), user: str(o, 'user', 'nats'), pass: str(o, 'pass', 'nats'),
    token: str(o, 'token', 'nats'), nkeySeedFile: str(o, 'nkeySeedFile', 'nats'), credsFile: str(o, 'credsFile', 'nats') };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (cfg as unknown as Record<string, unknown>)[k] = v;
  if (Object.keys(tls).length > 0) cfg.tls = tls;
  if ((cfg.user === undefined) !== (cfg.pass === undefined)) throw new BusConfigError('nats.user', 'user and pass go together');
  return cfg;
}

function limits(raw: unknown, path: string): StreamLimits {
  const o = section(raw, path);
  return {
    maxAgeSeconds: num(o, 'maxAgeSeconds', path, path.endsWith('alerts') ? 7 * 86_400 : 3_600),
    maxBytes: num(o, 'maxBytes', path, path.endsWith('alerts') ? 256 * 2 ** 20 : 2 ** 30),
    duplicateWindowSeconds: num(o, 'duplicateWindowSeconds', path, 120),
  };
}

export function parseStreamsConfig(raw: unknown): StreamsConfig {
  const o = section(raw, 'streams');
  return { events: limits(o.events, 'streams.events'), alerts: limits(o.alerts, 'streams.alerts') };
}
