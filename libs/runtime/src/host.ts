/**
 * The host: runs stages over a bus. It owns subscriptions (one durable consumer per stage, shared by replicas),
 * bounded concurrency with in-order publishing, decode/encode, tracing (one span per stage per input, children of the
 * upstream span), metrics, bad-input accounting and the graceful drain. Stages never see the transport.
 */
import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, context, trace, type Context, type Span } from '@opentelemetry/api';
import { CodecError, SchemaVersionError, decodeBatch, encodeBatchPruning, type Alert, type EventBatch } from '@peregrine/event';
import {
  AlertDecodeError, KEEP_TRACE, DEFAULT_ALERT_SUBJECT_TEMPLATE, decodeAlert, encodeAlert, alertSubjectTemplate, alertsFilter, batchInput, batchInputAll, type AlertSubjectFields,
  type Bus, type Consumption, type DurableMessage,
} from '@peregrine/bus';
import type { RuntimeSettings } from './config.ts';
import { LogRateLimiter } from './logger.ts';
import { HostMetrics } from './metrics.ts';
import type { AlertStage, BatchStage, HandlerContext, Logger, SourceContext, SourceStage, Stage, StageInit } from './stage.ts';
import { startHealthServer, type HealthServer } from './http.ts';

export interface HostedStage {
  /** The pipeline name: labels, durable consumer name, input subject. */
  name: string;
  stage: Stage;
  config: Record<string, unknown>;
  /** The next batch stage in the pipeline (where emitted batches go); undefined drops them with accounting. */
  next: string | undefined;
}

export interface HostOptions {
  bus: Bus;
  node: string;
  /** In pipeline order: the drain stops them in this order so in-flight batches flow downstream first. */
  stages: HostedStage[];
  settings: RuntimeSettings;
  logger: Logger & { child(fields: Record<string, unknown>): Logger };
  /** null: no HTTP server. */
  http: { port: number; host: string } | null;
  /** Export a whole trace whatever its sampling (telemetry's keepTrace). */
  keepTrace?: (traceId: string) => void;
  metrics?: HostMetrics;
  /** Where alerts are published and read (`alerts.subjectTemplate`); default falco.<priority>.<rule>. */
  alertSubjectTemplate?: string;
}

export const BadReason = { Oversized: 'oversized', SchemaVersion: 'schema_version', Decode: 'decode' } as const;
export type BadReason = (typeof BadReason)[keyof typeof BadReason];

const tracer = trace.getTracer('@peregrine/runtime');
const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

interface Outputs {
  batches: EventBatch[];
  alerts: Alert[];
}

interface Running {
  hs: HostedStage;
  consumption?: Consumption;
  loop?: Promise<void>;
  source?: Promise<void>;
  abort?: AbortController;
}

export class Host {
  readonly metrics: HostMetrics;
  private readonly running: Running[] = [];
  private readonly badLog: LogRateLimiter;
  private readonly runId = randomBytes(4).toString('hex');
  private http: HealthServer | undefined;
  private draining = false;
  private drained: Promise<void> | undefined;
  private readonly alertSubject: (a: AlertSubjectFields) => string;
  private readonly alertFilter: string;

  constructor(private readonly opts: HostOptions) {
    this.metrics = opts.metrics ?? new HostMetrics();
    const template = opts.alertSubjectTemplate ?? DEFAULT_ALERT_SUBJECT_TEMPLATE;
    this.alertSubject = alertSubjectTemplate(template);
    this.alertFilter = alertsFilter(template);
    this.badLog = new LogRateLimiter(opts.settings.badInputLogIntervalMs);
  }

  get httpPort(): number | undefined {
    return this.http?.port;
  }

  /** Inits every stage, subscribes, starts the HTTP server, logs `ready`, then starts the sources. */
  async start(): Promise<void> {
    const { bus, logger } = this.opts;
    bus.control.serve(KEEP_TRACE, (data) => { this.opts.keepTrace?.(utf8d.decode(data)); });
    for (const hs of this.opts.stages) {
      await hs.stage.init?.(this.initFor(hs));
      const r: Running = { hs };
      this.running.push(r);
      if (hs.stage.kind === 'source') continue;
      r.consumption = await bus.consume({
        durable: hs.name,
        filter: hs.stage.kind === 'alert' ? this.alertFilter : batchInputAll(hs.name),
        maxBytes: this.opts.settings.maxPendingBytes,
        maxAckPending: this.opts.settings.maxAckPending,
      });
      r.loop = this.consumeLoop(r.hs, r.consumption);
    }
    if (this.opts.http) {
      this.http = await startHealthServer({ ...this.opts.http, registry: this.metrics.registry, healthy: () => !this.draining });
      logger.info('http listening', { port: this.http.port });
    }
    logger.info('ready', { node: this.opts.node, stages: this.opts.stages.map((s) => s.name), pid: process.pid });
    for (const r of this.running) {
      if (r.hs.stage.kind !== 'source') continue;
      r.abort = new AbortController();
      r.source = this.runSource(r.hs, r.hs.stage, r.abort.signal);
    }
  }

  /** Resolves when every source has returned (sources that run until aborted never do). */
  async sourcesDone(): Promise<void> {
    await Promise.all(this.running.map((r) => r.source));
  }

  /** Stop sources, let in-flight inputs finish and flow downstream, close stages and the bus. Idempotent. */
  drain(): Promise<void> {
    this.drained ??= this.doDrain();
    return this.drained;
  }

  private async doDrain(): Promise<void> {
    const { logger, settings } = this.opts;
    this.draining = true;
    logger.info('draining');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), settings.drainTimeoutMs); });
    const work = (async () => {
      for (const r of this.running) r.abort?.abort();
      await Promise.all(this.running.map((r) => r.source));
      for (const r of this.running) {
        r.consumption?.stop();
        await r.loop;
      }
      // Spans of batches just passed on are held until the stage that may raise an alert on them says to keep
      // them: listen a little longer before the held spans go with the process.
      if (this.opts.keepTrace && settings.keepTraceGraceMs > 0) await new Promise((r) => setTimeout(r, settings.keepTraceGraceMs));
      return 'done' as const;
    })();
    const outcome = await Promise.race([work, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') logger.warn('drain timed out: unacked inputs will be redelivered', { timeoutMs: settings.drainTimeoutMs });
    for (const r of this.running) {
      try {
        await r.hs.stage.close?.();
      } catch (e) {
        logger.error('stage close failed', { stage: r.hs.name, error: e });
      }
    }
    await this.opts.bus.close();
    await this.http?.close();
    logger.info('drained');
  }

  private initFor(hs: HostedStage): StageInit {
    return {
      node: this.opts.node,
      config: hs.config,
      logger: this.opts.logger.child({ stage: hs.name }),
      control: this.opts.bus.control,
      metrics: this.metrics.forStage(),
    };
  }

  // ---- sources

  private async runSource(hs: HostedStage, stage: SourceStage, signal: AbortSignal): Promise<void> {
    const ctx: SourceContext = {
      ...this.initFor(hs),
      signal,
      emitBatch: (batch) => this.emitSourceBatch(hs, batch),
      emitAlert: (alert) => this.withSpan(hs, `${hs.name} alert`, ROOT_CONTEXT, async (span) => {
        await this.publishAlerts(hs, [alert], span);
      }),
    };
    try {
      await stage.run(ctx);
    } catch (e) {
      this.metrics.handlerErrors.inc({ stage: hs.name });
      this.opts.logger.error('source failed', { stage: hs.name, error: e });
    }
  }

  private emitSourceBatch(hs: HostedStage, batch: EventBatch): Promise<void> {
    return this.withSpan(hs, `${hs.name} batch`, ROOT_CONTEXT, async (span) => {
      span.setAttributes({ 'peregrine.node': batch.node, 'peregrine.batch.seq': batch.seq, 'peregrine.events.out': batch.events.length });
      const subject = hs.next ? batchInput(hs.next, batch.node) : undefined;
      if (!subject) { this.metrics.dropped.inc({ stage: hs.name, reason: 'no_next_stage' }); return; }
      const data = this.encode(hs, batch, span);
      await this.opts.bus.publish(subject, data, {
        msgId: `${hs.name}.${batch.node}.${this.runId}.${batch.seq}`,
        context: trace.setSpan(ROOT_CONTEXT, span),
      });
      this.metrics.batchesOut.inc({ stage: hs.name });
      this.metrics.eventsOut.inc({ stage: hs.name }, batch.events.length);
    }, SpanKind.PRODUCER);
  }

  /** Encodes an output batch; events the codec refuses are dropped, counted and logged, the rest go on. */
  private encode(hs: HostedStage, batch: EventBatch, span: Span): Uint8Array {
    const { data, pruned, error } = encodeBatchPruning(batch);
    if (pruned.length > 0) {
      this.metrics.dropped.inc({ stage: hs.name, reason: 'unencodable_event' }, pruned.length);
      span.addEvent('unencodable events dropped', { count: pruned.length, error: String(error?.message) });
      const { log, suppressed } = this.badLog.check(`${hs.name}:unencodable_event`);
      if (log) {
        this.opts.logger.warn('events the codec refuses were dropped from an output batch', {
          stage: hs.name, count: pruned.length, error: error?.message, firstType: pruned[0]!.type, firstNum: pruned[0]!.num, suppressed,
        });
      }
    }
    return data;
  }

  private async withSpan(hs: HostedStage, name: string, parent: Context, fn: (span: Span) => Promise<void>, kind = SpanKind.INTERNAL): Promise<void> {
    const span = tracer.startSpan(name, { kind, root: parent === ROOT_CONTEXT, attributes: { 'peregrine.stage': hs.name } }, parent);
    try {
      await fn(span);
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      span.end();
    }
  }

  // ---- consumers

  private async consumeLoop(hs: HostedStage, messages: Consumption): Promise<void> {
    const limit = this.opts.settings.concurrency;
    const inflight = new Set<Promise<void>>();
    // Each input may publish only after the one before it has issued its publishes: output order = input order.
    let turn: Promise<void> = Promise.resolve();
    for await (const m of messages) {
      while (inflight.size >= limit) await Promise.race(inflight);
      const waitFor = turn;
      let done!: () => void;
      const mine = new Promise<void>((r) => { done = r; });
      turn = waitFor.then(() => mine);
      const p = this.handleMessage(hs, m, waitFor, done).finally(() => {
        done();
        inflight.delete(p);
        this.metrics.inflight.set({ stage: hs.name }, inflight.size);
      });
      inflight.add(p);
      this.metrics.inflight.set({ stage: hs.name }, inflight.size);
    }
    await Promise.all(inflight);
  }

  private async handleMessage(hs: HostedStage, m: DurableMessage, myTurn: Promise<void>, turnDone: () => void): Promise<void> {
    const stage = hs.stage as BatchStage | AlertStage;
    if (m.redeliveries > 0) this.metrics.redeliveries.inc({ stage: hs.name });
    if (m.data.length > this.opts.settings.maxMessageBytes) {
      this.badInput(hs, m, BadReason.Oversized, `${m.data.length} bytes, limit ${this.opts.settings.maxMessageBytes}`);
      return;
    }
    let input: EventBatch | Alert;
    try {
      input = stage.kind === 'alert' ? decodeAlert(m.data) : decodeBatch(m.data);
    } catch (e) {
      this.badInput(hs, m, e instanceof SchemaVersionError ? BadReason.SchemaVersion : BadReason.Decode, (e as Error).message,
        e instanceof CodecError || e instanceof AlertDecodeError ? { offset: e.offset } : undefined);
      return;
    }
    const span = tracer.startSpan(`${hs.name} ${stage.kind}`, { kind: SpanKind.CONSUMER, attributes: {
      'peregrine.stage': hs.name,
      'messaging.system': 'nats',
      'messaging.destination.name': m.subject,
      'messaging.message.redeliveries': m.redeliveries,
    } }, m.context);
    const out: Outputs = { batches: [], alerts: [] };
    const hctx: HandlerContext = { span, emitBatch: (b) => { out.batches.push(b); }, emitAlert: (a) => { out.alerts.push(a); } };
    try {
      if (stage.kind === 'alert') {
        const alert = input as Alert;
        span.setAttributes({ 'peregrine.alert.uuid': alert.uuid, 'peregrine.alert.rule': alert.rule, 'peregrine.alert.priority': alert.priority });
        this.metrics.alertsIn.inc({ stage: hs.name });
      } else {
        const batch = input as EventBatch;
        span.setAttributes({ 'peregrine.node': batch.node, 'peregrine.batch.seq': batch.seq, 'peregrine.events.in': batch.events.length });
        this.metrics.batchesIn.inc({ stage: hs.name });
        this.metrics.eventsIn.inc({ stage: hs.name }, batch.events.length);
      }
      const end = this.metrics.handlerSeconds.startTimer({ stage: hs.name });
      try {
        const spanCtx = trace.setSpan(m.context, span);
        await context.with(spanCtx, () => (stage as { handle(i: unknown, c: HandlerContext): unknown }).handle(input, hctx));
      } catch (e) {
        this.handlerFailed(hs, m, span, e);
        return;
      } finally {
        end();
      }
      let encoded: Uint8Array[];
      try {
        encoded = out.batches.map((b) => this.encode(hs, b, span));
      } catch (e) {
        this.handlerFailed(hs, m, span, e, 'encode_error');
        return;
      }
      await myTurn;
      const published = this.publishOutputs(hs, m, span, out, encoded);
      turnDone();
      try {
        await published;
      } catch (e) {
        // The bus did not take the outputs (e.g. NATS unreachable): let the input come back rather than lose it.
        this.metrics.publishErrors.inc({ stage: hs.name });
        span.recordException(e as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
        this.opts.logger.warn('publish failed, input will be redelivered', { stage: hs.name, subject: m.subject, error: e });
        m.nak();
        return;
      }
      m.ack();
    } finally {
      span.end();
    }
  }

  private publishOutputs(hs: HostedStage, m: DurableMessage, span: Span, out: Outputs, encoded: Uint8Array[]): Promise<unknown> {
    const pending: Promise<void>[] = [];
    let events = 0;
    // An input that raised an alert sends its batches on as sampled too: the stages after this one then record the
    // trace whether or not they were running when the KEEP_TRACE message went out.
    const outCtx = out.alerts.length > 0 ? sampledContext(span) : trace.setSpan(context.active(), span);
    for (let i = 0; i < out.batches.length; i++) {
      const b = out.batches[i]!;
      events += b.events.length;
      if (!hs.next) { this.metrics.dropped.inc({ stage: hs.name, reason: 'no_next_stage' }); continue; }
      // Deterministic id: re-handling the same stored input after a restart publishes the same ids, which the
      // stream drops as duplicates.
      pending.push(this.opts.bus.publish(batchInput(hs.next, b.node), encoded[i]!, {
        msgId: `${hs.name}.${m.seq}.${i}`,
        context: outCtx,
      }).then(() => {
        this.metrics.batchesOut.inc({ stage: hs.name });
        this.metrics.eventsOut.inc({ stage: hs.name }, b.events.length);
      }));
    }
    span.setAttributes({ 'peregrine.batches.out': out.batches.length, 'peregrine.events.out': events, 'peregrine.alerts': out.alerts.length });
    if (out.alerts.length > 0) pending.push(this.publishAlerts(hs, out.alerts, span));
    return Promise.all(pending);
  }

  /**
   * Alerts always get a complete trace: keep it here, tell every stage to keep it, and mark it sampled downstream.
   * The msgId is the alert's uuid (deterministic: node, event, rule), so the stream drops an alert raised again from
   * the same events, even when they came back as a different message (a batch re-published after a capture restart).
   */
  private async publishAlerts(hs: HostedStage, alerts: Alert[], span: Span): Promise<void> {
    const sc = span.spanContext();
    if ((sc.traceFlags & TraceFlags.SAMPLED) === 0 && trace.isSpanContextValid(sc)) {
      this.opts.keepTrace?.(sc.traceId);
      await this.opts.bus.control.publish(KEEP_TRACE, utf8.encode(sc.traceId));
    }
    const sampled = sampledContext(span);
    await Promise.all(alerts.map((a) => {
      span.addEvent('alert', { 'peregrine.alert.uuid': a.uuid, 'peregrine.alert.rule': a.rule, 'peregrine.alert.priority': a.priority });
      return this.opts.bus.publish(this.alertSubject(a), utf8.encode(encodeAlert(a)), { msgId: `alert.${a.uuid}`, context: sampled })
        .then(() => { this.metrics.alertsOut.inc({ stage: hs.name }); });
    }));
  }

  private handlerFailed(hs: HostedStage, m: DurableMessage, span: Span, e: unknown, reason = 'handler_error'): void {
    this.metrics.handlerErrors.inc({ stage: hs.name });
    this.metrics.dropped.inc({ stage: hs.name, reason });
    span.recordException(e as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
    const { log, suppressed } = this.badLog.check(`${hs.name}\u0000handler\u0000${reason}`);
    if (log) this.opts.logger.error('handler failed, input dropped', { stage: hs.name, subject: m.subject, reason, error: e, suppressed });
    // One failing input must not come back for ever and block the stage.
    m.term();
  }

  private badInput(hs: HostedStage, m: DurableMessage, reason: BadReason, detail: string, extra?: Record<string, unknown>): void {
    this.metrics.badMessages.inc({ stage: hs.name, subject: m.subject, reason });
    const { log, suppressed } = this.badLog.check(`${hs.name}\u0000${m.subject}\u0000${reason}`);
    if (log) this.opts.logger.warn('bad input dropped', { stage: hs.name, subject: m.subject, reason, detail, bytes: m.data.length, suppressed, ...extra });
    m.term();
  }
}

/** A context whose parent is `span`, marked sampled so every later stage exports its span. */
function sampledContext(span: Span): Context {
  const sc = span.spanContext();
  return trace.setSpanContext(ROOT_CONTEXT, { ...sc, traceFlags: sc.traceFlags | TraceFlags.SAMPLED });
}
