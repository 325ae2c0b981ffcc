/** Builds a destination from its config map; every bad key is an OutputConfigError naming its path. */
import type { StageMetrics } from '@peregrine/runtime';
import { compileTemplate } from '../alert-format.ts';
import { bool, num, oneOf, optStr, str, strMap, tree, type Tree } from '../config-reader.ts';
import type { DestinationSpec } from '../config.ts';
import { OutputConfigError } from '../errors.ts';
import { ChatDestination } from './chat.ts';
import type { Destination } from './destination.ts';
import { FileDestination } from './file.ts';
import { HttpPoster } from './http-post.ts';
import { LokiDestination } from './loki.ts';
import { MetricsDestination } from './metrics.ts';
import { StdoutDestination } from './stdout.ts';
import { FACILITIES, SyslogDestination } from './syslog.ts';
import { WebhookDestination } from './webhook.ts';

const FORMATS = ['text', 'json'] as const;
const DEFAULT_CHAT_TEMPLATE = '[{{priority}}] {{rule}} on {{hostname}}: {{output}}';

export function buildDestination(spec: DestinationSpec, metrics: StageMetrics): Destination {
  const { raw: d, path, name } = spec;
  switch (spec.type) {
    case 'stdout':
      return new StdoutDestination(name, oneOf(d, 'format', path, FORMATS, 'text'));
    case 'file':
      return new FileDestination(name, {
        path: str(d, 'path', path),
        format: oneOf(d, 'format', path, FORMATS, 'json'),
        maxSizeBytes: num(d, 'maxSizeBytes', path, 0),
        maxBackups: num(d, 'maxBackups', path, 5),
      });
    case 'webhook':
      return new WebhookDestination(name, poster(d, path, name), str(d, 'idempotencyHeader', path, 'Idempotency-Key'));
    case 'slack':
    case 'chat':
      return new ChatDestination(name, poster(d, path, name),
        compileTemplate(str(d, 'template', path, DEFAULT_CHAT_TEMPLATE), `${path}.template`),
        spec.type === 'slack' ? 'text' : str(d, 'textField', path, 'text'), strMap(d, 'body', path));
    case 'loki': {
      const base = str(d, 'url', path).replace(/\/+$/, '');
      const url = base.endsWith('/loki/api/v1/push') ? base : `${base}/loki/api/v1/push`;
      const tenant = optStr(d, 'tenant', path);
      return new LokiDestination(name, poster({ ...d, url, headers: { ...strMap(d, 'headers', path), ...(tenant ? { 'X-Scope-OrgID': tenant } : {}) } }, path, name),
        strMap(d, 'labels', path));
    }
    case 'syslog': {
      const transport = oneOf(d, 'transport', path, ['udp', 'tcp', 'unix'] as const, 'udp');
      const facilityRaw = d.facility ?? 'local0';
      const facility = typeof facilityRaw === 'number' ? facilityRaw : FACILITIES[String(facilityRaw)];
      if (facility === undefined || facility < 0 || facility > 23) throw new OutputConfigError(`${path}.facility`, `unknown facility ${JSON.stringify(facilityRaw)}`);
      return new SyslogDestination(name, {
        transport,
        host: str(d, 'host', path, '127.0.0.1'),
        port: num(d, 'port', path, 514, 1),
        path: transport === 'unix' ? str(d, 'path', path) : '',
        facility,
        framing: oneOf(d, 'framing', path, ['octet-counting', 'newline'] as const, transport === 'unix' ? 'newline' : 'octet-counting'),
        format: oneOf(d, 'format', path, FORMATS, 'text'),
        appName: str(d, 'appName', path, 'peregrine'),
      });
    }
    case 'prometheus':
      return new MetricsDestination(name, metrics);
  }
}

function poster(d: Tree, path: string, name: string): HttpPoster {
  const url = str(d, 'url', path);
  try {
    new URL(url);
  } catch {
    throw new OutputConfigError(`${path}.url`, `not a URL: ${url}`);
  }
  const tls = tree(d.tls, `${path}.tls`);
  const certFile = optStr(tls, 'certFile', `${path}.tls`);
  const keyFile = optStr(tls, 'keyFile', `${path}.tls`);
  if ((certFile === undefined) !== (keyFile === undefined)) throw new OutputConfigError(`${path}.tls`, 'certFile and keyFile go together');
  return new HttpPoster(name, {
    url,
    headers: strMap(d, 'headers', path),
    timeoutMs: num(d, 'timeoutMs', path, 5_000, 1),
    retries: num(d, 'retries', path, 2),
    retryBackoffMs: num(d, 'retryBackoffMs', path, 200),
    tls: { caFile: optStr(tls, 'caFile', `${path}.tls`), certFile, keyFile, insecureSkipVerify: bool(tls, 'insecureSkipVerify', `${path}.tls`, false) },
  });
}
