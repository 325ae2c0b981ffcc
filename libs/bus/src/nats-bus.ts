/**
 * The bus over NATS: batches and alerts through JetStream (publish waits for the store ack, deduplicated by
 * Nats-Msg-Id; pull consumers with explicit acks, shared by durable name), control traffic over core NATS.
 * The only module that imports `nats`.
 */
import { readFileSync } from 'node:fs';
import {
  AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, connect, credsAuthenticator, headers,
  nanos, nkeyAuthenticator, type ConnectionOptions, type JetStreamClient, type JetStreamManager, type JsMsg,
  type MsgHdrs, type NatsConnection, type StreamConfig,
} from 'nats';
import { ALERTS_STREAM, DEFAULT_ALERT_SUBJECT_TEMPLATE, EVENTS_ALL, EVENTS_STREAM, alertSubjectTemplate, alertsFilter } from './subjects.ts';
import type { Bus, ConsumeOptions, Consumption, ControlBus, ControlHandler, DurableMessage, PublishOptions } from './bus.ts';
import type { NatsConfig, StreamLimits, StreamsConfig } from './config.ts';
import { BusConfigError, NoStreamError, PublishError } from './errors.ts';
import { extractTraceContext, injectTraceHeaders, type HeaderCarrier } from './trace-context.ts';
import { subjectMatches } from './match.ts';

export function connectionOptions(cfg: NatsConfig): ConnectionOptions {
  const opts: ConnectionOptions = {
    servers: cfg.servers,
    reconnect: true,
    maxReconnectAttempts: cfg.maxReconnectAttempts,
    reconnectTimeWait: cfg.reconnectTimeWaitMs,
    waitOnFirstConnect: false,
  };
  if (cfg.name) opts.name = cfg.name;
  if (cfg.user !== undefined) { opts.user = cfg.user; opts.pass = cfg.pass; }
  if (cfg.token !== undefined) opts.token = cfg.token;
  const read = (key: string, file: string) => {
    try { return readFileSync(file); } catch (e) { throw new BusConfigError(key, `cannot read ${file}`, { cause: e }); }
  };
  if (cfg.credsFile) opts.authenticator = credsAuthenticator(read('nats.credsFile', cfg.credsFile));
  else if (cfg.nkeySeedFile) opts.authenticator = nkeyAuthenticator(firstLine(read('nats.nkeySeedFile', cfg.nkeySeedFile)));
  if (cfg.tls) {
    const tls: NonNullable<ConnectionOptions['tls']> = {};
    if (cfg.tls.ca) tls.caFile = cfg.tls.ca;
    if (cfg.tls.cert) tls.certFile = cfg.tls.cert;
    if (cfg.tls.key) tls.keyFile = cfg.tls.key;
    opts.tls = tls;
  }
  return opts;
}

/** A seed file may end in a newline: the seed is the first line. */
function firstLine(bytes: Uint8Array): Uint8Array {
  const nl = bytes.indexOf(10);
  return new Uint8Array(nl < 0 ? bytes : bytes.subarray(0, nl));
}

class NatsHeaderCarrier implements HeaderCarrier {
  constructor(private readonly h: MsgHdrs) {}
  get(key: string): string | undefined { return this.h.has(key) ? this.h.get(key) : undefined; }
  keys(): string[] { return this.h.keys(); }
}

function streamConfig(name: string, subject: string, l: StreamLimits): Partial<StreamConfig> {
  return {
    name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(l.maxAgeSeconds * 1000),
    max_bytes: l.maxBytes,
    duplicate_window: nanos(l.duplicateWindowSeconds * 1000),
  };
}

/** The stream a consumer filter reads: the alerts stream's subjects follow the alert subject template. */
function streamFor(subject: string, alertSubjects: string): string {
  if (subjectMatches(EVENTS_ALL, subject) || subject.startsWith('events.')) return EVENTS_STREAM;
  if (subject === alertSubjects || subjectMatches(alertSubjects, subject)) return ALERTS_STREAM;
  throw new NoStreamError(subject);
}

/** Durable names allow only these characters. */
function durableName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

class NatsControl implements ControlBus {
  constructor(private readonly nc: NatsConnection) {}

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return (await this.nc.request(subject, data, { timeout: timeoutMs })).data;
  }

  async publish(subject: string, data: Uint8Array): Promise<void> {
    this.nc.publish(subject, data);
  }

  serve(subject: string, handler: ControlHandler): void {
    this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        void (async () => {
          try {
            const reply = await handler(msg.data, msg.subject);
            if (msg.reply && reply) msg.respond(reply);
          } catch {
            // A failing control handler must not take the connection down; the requester times out.
          }
        })();
      },
    });
  }
}

export class NatsBus implements Bus {
  readonly control: ControlBus;
  private constructor(
    readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly cfg: NatsConfig,
    private readonly alertSubjects: string,
  ) {
    this.control = new NatsControl(nc);
  }

  /** `alertSubjectTemplate` (config `alerts.subjectTemplate`) sets the subjects the alerts stream keeps. */
  static async connect(cfg: NatsConfig, streams: StreamsConfig, alertSubjectTemplateText = DEFAULT_ALERT_SUBJECT_TEMPLATE): Promise<NatsBus> {
    alertSubjectTemplate(alertSubjectTemplateText); // a template that cannot render a subject fails before connecting
    const alertSubjects = alertsFilter(alertSubjectTemplateText);
    const nc = await connect(connectionOptions(cfg));
    const jsm = await nc.jetstreamManager();
    const bus = new NatsBus(nc, nc.jetstream({ timeout: cfg.publishTimeoutMs }), jsm, cfg, alertSubjects);
    await bus.ensureStream(streamConfig(EVENTS_STREAM, EVENTS_ALL, streams.events));
    await bus.ensureStream(streamConfig(ALERTS_STREAM, alertSubjects, streams.alerts));
    return bus;
  }

  /** Creates the stream, or brings an existing one to the configured limits. */
  private async ensureStream(sc: Partial<StreamConfig>): Promise<void> {
    try {
      await this.jsm.streams.info(sc.name!);
      await this.jsm.streams.update(sc.name!, sc);
    } catch (e) {
      if (!String((e as Error).message).includes('not found')) throw e;
      await this.jsm.streams.add(sc);
    }
  }

  async publish(subject: string, data: Uint8Array, opts: PublishOptions = {}): Promise<void> {
    const h = headers();
    if (opts.context) for (const [k, v] of Object.entries(injectTraceHeaders(opts.context))) h.set(k, v);
    try {
      // js.publish writes to the socket before its first await, so calls made in order are stored in order.
      const ack = this.js.publish(subject, data, opts.msgId ? { headers: h, msgID: opts.msgId } : { headers: h });
      await ack;
    } catch (e) {
      throw new PublishError(subject, { cause: e });
    }
  }

  async consume(opts: ConsumeOptions): Promise<Consumption> {
    const stream = streamFor(opts.filter, this.alertSubjects);
    const durable = durableName(opts.durable);
    const config = {
      durable_name: durable,
      filter_subject: opts.filter,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.cfg.ackWaitMs),
      max_ack_pending: opts.maxAckPending,
    };
    try {
      const info = await this.jsm.consumers.info(stream, durable);
      if (info.config.filter_subject === opts.filter) {
        await this.jsm.consumers.update(stream, durable, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
      } else {
        // The alert subject template changed (the server cannot update a filter in place): what the old filter
        // read stays behind; everything stored under the new one is delivered.
        await this.jsm.consumers.delete(stream, durable);
        await this.jsm.consumers.add(stream, config);
      }
    } catch (e) {
      if (!String((e as Error).message).includes('not found')) throw e;
      await this.jsm.consumers.add(stream, config);
    }
    const consumer = await this.js.consumers.get(stream, durable);
    // Bounded pull requests rather than consume(): stopping consume() drops messages already on their way to us,
    // which the server then redelivers only after ack_wait, out of order. A fetch that is allowed to finish hands
    // over everything the server sent, so a drained consumer leaves nothing delivered-but-unseen behind.
    // Counted in messages, not bytes: a fetch bounded by bytes only ends at its expiry, stalling the stream. Any
    // message is at most the server's max_payload, so this many never exceed maxBytes.
    const maxPayload = this.nc.info?.max_payload ?? 1024 * 1024;
    const perFetch = Math.max(1, Math.min(opts.maxAckPending, Math.floor(opts.maxBytes / maxPayload)));
    let stopped = false;
    const expires = this.cfg.fetchExpiresMs;
    return {
      stop: () => { stopped = true; },
      async *[Symbol.asyncIterator]() {
        while (!stopped) {
          const batch = await consumer.fetch({ max_messages: perFetch, expires });
          for await (const m of batch) yield adapt(m);
        }
      },
    };
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain();
  }
}

function adapt(m: JsMsg): DurableMessage {
  return {
    subject: m.subject,
    data: m.data,
    seq: m.seq,
    redeliveries: m.info.redeliveryCount - 1,
    context: extractTraceContext(m.headers ? new NatsHeaderCarrier(m.headers) : undefined),
    ack: () => m.ack(),
    nak: () => m.nak(),
    term: () => m.term(),
  };
}
