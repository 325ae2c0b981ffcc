/**
 * Grafana Loki push API (`POST /loki/api/v1/push`, JSON): one stream per alert labelled with rule, priority,
 * source, hostname and (when set) the Kubernetes namespace, plus the configured static labels; the line is the
 * alert JSON, timestamped with the alert's own time in nanoseconds.
 */
import type { Alert } from '@peregrine/event';
import { encodeAlert } from '@peregrine/bus';
import type { Destination } from './destination.ts';
import type { HttpPoster } from './http-post.ts';

export class LokiDestination implements Destination {
  constructor(
    readonly name: string,
    private readonly http: HttpPoster,
    private readonly staticLabels: Record<string, string>,
  ) {}

  send(alert: Alert): Promise<void> {
    const stream: Record<string, string> = {
      ...this.staticLabels,
      rule: alert.rule,
      priority: alert.priority,
      source: alert.source,
      hostname: alert.hostname,
    };
    const ns = alert.output_fields['k8s.ns.name'];
    if (typeof ns === 'string' && ns) stream.k8s_ns_name = ns;
    const body = { streams: [{ stream, values: [[isoToNanos(alert.time), encodeAlert(alert)]] }] };
    return this.http.post(JSON.stringify(body), 'application/json');
  }

  close(): void {
    this.http.close();
  }
}

/** `2026-11-28T10:36:52.123456789Z` → `"1795862212123456789"`, keeping all nine fraction digits. */
export function isoToNanos(iso: string): string {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(iso);
  const secs = m ? Date.parse(`${m[1]}Z`) : NaN;
  if (!m || Number.isNaN(secs)) return `${BigInt(Date.now()) * 1_000_000n}`;
  const frac = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  return `${(BigInt(secs) / 1000n) * 1_000_000_000n + BigInt(frac)}`;
}
