/**
 * A real OTLP/HTTP receiver for tests (a stand-in for Jaeger/the Collector): @elastic/mockotlpserver decodes what
 * exporters send (http/protobuf or http/json) and this collects the spans, flattened with their resource's service
 * name and pid.
 */
import { createRequire } from 'node:module';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** W3C trace flags of the span (bit 0: sampled), from OTLP's span flags. */
  traceFlags: number;
  service: string;
  pid: number;
  attributes: Record<string, unknown>;
}

export interface OtlpReceiver {
  /** Base URL to put in OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  /** Resolves once `pred(spans)` holds; rejects after `timeoutMs`. */
  waitFor(pred: (spans: ReceivedSpan[]) => boolean, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

interface NormalizedTrace {
  resourceSpans?: Array<{
    resource?: { attributes?: Record<string, unknown> };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; flags?: number; attributes?: Record<string, unknown> }> }>;
  }>;
}

interface MockModule {
  MockOtlpServer: new (opts: Record<string, unknown>) => { start(): Promise<void>; close(): Promise<void>; httpUrl: URL | string | null };
  normalizeTrace(raw: unknown): NormalizedTrace;
}

const require = createRequire(import.meta.url);

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const { MockOtlpServer, normalizeTrace } = require('@elastic/mockotlpserver') as MockModule;
  const spans: ReceivedSpan[] = [];
  const waiters = new Set<() => void>();
  const server = new MockOtlpServer({
    services: ['http'],
    httpHostname: '127.0.0.1',
    httpPort: 0,
    logLevel: 'warn',
    onTrace: (raw: unknown) => {
      for (const rs of normalizeTrace(raw).resourceSpans ?? []) {
        const attrs = rs.resource?.attributes ?? {};
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, traceFlags: Number(s.flags ?? 0) & 0xff,
              service: String(attrs['service.name'] ?? ''), pid: Number(attrs['process.pid'] ?? 0), attributes: s.attributes ?? {},
            });
          }
        }
      }
      for (const w of waiters) w();
    },
  });
  await server.start();
  const url = String(server.httpUrl).replace(/\/$/, '');
  return {
    url,
    spans,
    waitFor(pred, timeoutMs) {
      if (pred(spans)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = () => { if (pred(spans)) { cleanup(); resolve(); } };
        const timer = setTimeout(() => { cleanup(); reject(new Error(`OTLP receiver: condition not met within ${timeoutMs} ms (${spans.length} spans)`)); }, timeoutMs);
        const cleanup = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
      });
    },
    close: () => server.close(),
  };
}
