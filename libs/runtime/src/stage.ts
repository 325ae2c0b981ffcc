/**
 * The stage contract. A stage is a module with a handler; it contains no transport code. A host (runtime/host.ts)
 * runs one or more stages over a bus, owning subscriptions, concurrency, drain, tracing, health and metrics.
 *
 * Three shapes:
 *  - a source produces batches on its own (capture, replay): `start(ctx)` and `ctx.emitBatch(...)`;
 *  - a batch stage turns an input batch into output batches and/or alerts (enrichment, evaluation, user filters);
 *  - an alert sink consumes alerts (output).
 */
import type { Alert, EventBatch } from '@peregrine/event';
import type { Span } from '@opentelemetry/api';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Given to every stage once, at init. */
export interface StageInit {
  /** This host's node name (NODE_NAME env, or the hostname). */
  node: string;
  /** The stage's own section of the config file, with env overrides applied. */
  config: Record<string, unknown>;
  logger: Logger;
  /** Request/reply and plain publish for control traffic (event-type selection, actions). Never for batches. */
  control: ControlChannel;
  /** Registers a counter or gauge on the host's /metrics. */
  metrics: StageMetrics;
}

export interface ControlChannel {
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  publish(subject: string, data: Uint8Array): Promise<void>;
  /** Answers requests or handles messages on `subject`; the handler's return value (if any) is the reply. */
  serve(subject: string, handler: (data: Uint8Array, subject: string) => Promise<Uint8Array | void> | Uint8Array | void): void;
}

export interface StageMetrics {
  counter(name: string, help: string, labelNames?: string[]): { inc(labels?: Record<string, string>, n?: number): void };
  gauge(name: string, help: string, labelNames?: string[]): { set(value: number, labels?: Record<string, string>): void };
}

/** Per input, what a handler may emit. The host encodes, publishes, and links each emission to `span`. */
export interface HandlerContext {
  /** The stage span for this batch: add attributes and events (rule hits, counts). */
  span: Span;
  emitBatch(batch: EventBatch): void;
  emitAlert(alert: Alert): void;
}

export interface SourceContext extends StageInit {
  /** Starts a new trace per batch (sampled by ratio), publishes it downstream. Resolves once the bus accepted it. */
  emitBatch(batch: EventBatch): Promise<void>;
  emitAlert(alert: Alert): Promise<void>;
  /** Aborted when the host drains: stop producing, then resolve `run`. */
  signal: AbortSignal;
}

export interface SourceStage {
  kind: 'source';
  name: string;
  init?(init: StageInit): Promise<void> | void;
  run(ctx: SourceContext): Promise<void>;
  close?(): Promise<void> | void;
}

export interface BatchStage {
  kind: 'batch';
  name: string;
  init?(init: StageInit): Promise<void> | void;
  handle(batch: EventBatch, ctx: HandlerContext): Promise<void> | void;
  close?(): Promise<void> | void;
}

export interface AlertStage {
  kind: 'alert';
  name: string;
  init?(init: StageInit): Promise<void> | void;
  /** Resolve only once the alert is delivered (or deliberately dropped with accounting): the host acks after. */
  handle(alert: Alert, ctx: HandlerContext): Promise<void> | void;
  close?(): Promise<void> | void;
}

export type Stage = SourceStage | BatchStage | AlertStage;

/** A stage module's default export: a factory, so each host gets fresh state. */
export type StageFactory = () => Stage;
