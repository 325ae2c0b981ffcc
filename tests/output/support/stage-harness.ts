/**
 * Test harness for the output stage: a real StageInit (prom-client registry, a logger that keeps its records, a
 * control channel from the caller) and a HandlerContext whose span is a real SDK span, so tests can check
 * the parent/child links of response spans.
 */
import { Registry } from 'prom-client';
import { trace, type Span } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Alert } from '@peregrine/event';
import { stageMetricsOn, type ControlChannel, type HandlerContext, type Logger, type StageInit } from '@peregrine/runtime';

export interface LogRecord { level: string; msg: string; fields?: Record<string, unknown> }

export const spans = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
trace.setGlobalTracerProvider(provider);
const tracer = provider.getTracer('test-host');

export function makeInit(config: Record<string, unknown>, control: ControlChannel, node = 'node-a') {
  const registry = new Registry();
  const logs: LogRecord[] = [];
  const logger: Logger = {
    debug: (msg, fields) => { logs.push({ level: 'debug', msg, fields }); },
    info: (msg, fields) => { logs.push({ level: 'info', msg, fields }); },
    warn: (msg, fields) => { logs.push({ level: 'warn', msg, fields }); },
    error: (msg, fields) => { logs.push({ level: 'error', msg, fields }); },
  };
  const init: StageInit = { node, config, logger, control, metrics: stageMetricsOn(registry) };
  return { init, registry, logs };
}

/** A HandlerContext for one alert, with a real span the test ends and can inspect. */
export function handlerContext(alert: Alert): { ctx: HandlerContext; span: Span } {
  const span = tracer.startSpan(`output alert ${alert.uuid}`);
  return { span, ctx: { span, emitBatch: () => { throw new Error('the output stage emits no batches'); }, emitAlert: () => { throw new Error('the output stage emits no alerts'); } } };
}

let seq = 0;

/** An alert in Falco's JSON shape, as evaluation publishes it. */
export function makeAlert(over: Partial<Alert> & { fields?: Alert['output_fields'] } = {}): Alert {
  seq++;
  const { fields, ...rest } = over;
  return {
    uuid: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    time: '2026-11-28T10:36:52.123456789Z',
    rule: 'Terminal shell in container',
    priority: 'Notice',
    source: 'syscall',
    hostname: 'node-a',
    output: 'A shell was spawned in a container with an attached terminal (user=root shell=sh container_id=abc123)',
    tags: ['container', 'shell', 'mitre_execution'],
    output_fields: { 'evt.time': 1795862212123456789, 'proc.name': 'sh', 'container.id': 'abc123', 'k8s.ns.name': 'prod', 'k8s.pod.name': 'web-1', ...fields },
    ...rest,
  };
}
