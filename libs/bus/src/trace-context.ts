/**
 * W3C trace context across the bus. There is no OpenTelemetry instrumentation for NATS in JS, so the bus injects
 * `traceparent`/`tracestate` into message headers and extracts them on receipt through the global propagator.
 */
import { ROOT_CONTEXT, propagation, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';

/** What both buses' headers offer. */
export interface HeaderCarrier {
  get(key: string): string | undefined;
  keys(): string[];
}

const setter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) { carrier[key] = value; },
};

const getter: TextMapGetter<HeaderCarrier> = {
  get: (carrier, key) => carrier.get(key),
  keys: (carrier) => carrier.keys(),
};

/** The trace headers for `context`: empty when there is no span in it or no propagator is registered. */
export function injectTraceHeaders(context: Context): Record<string, string> {
  const out: Record<string, string> = {};
  propagation.inject(context, out, setter);
  return out;
}

/** Never throws: malformed or missing headers give the root context, a message is never lost over its trace. */
export function extractTraceContext(carrier: HeaderCarrier | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  try {
    return propagation.extract(ROOT_CONTEXT, carrier, getter);
  } catch {
    return ROOT_CONTEXT;
  }
}

export function recordCarrier(headers: Record<string, string>): HeaderCarrier {
  return { get: (k) => headers[k], keys: () => Object.keys(headers) };
}
