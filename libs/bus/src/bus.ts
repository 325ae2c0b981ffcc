/**
 * The bus: what the stage runtime needs from a transport. Batches and alerts travel durably (publish resolves once
 * the message is stored; consumers ack after handling); control traffic is plain publish/subscribe and
 * request/reply. Two implementations: NatsBus (JetStream + core NATS) and MemoryBus (one process, no persistence).
 */
import type { Context } from '@opentelemetry/api';

export interface PublishOptions {
  /**
   * Deduplication id: a message published twice with the same id within the stream's duplicate window is stored
   * once. Derive it from the input (node, sequence, stage) so re-processing after a restart is idempotent.
   */
  msgId?: string;
  /** Trace context to inject as W3C `traceparent`/`tracestate` headers. */
  context?: Context;
}

export interface DurableMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Position in its stream: unique per stored message and stable across redeliveries. */
  readonly seq: number;
  /** How many times this message was delivered before (0 on first delivery). */
  readonly redeliveries: number;
  /** Trace context from the headers; the root context when there is none or it is malformed. */
  readonly context: Context;
  /** Handled: never deliver again. */
  ack(): void;
  /** Not handled now: deliver again (to any consumer sharing the durable). */
  nak(): void;
  /** Cannot ever be handled (bad input): never deliver again. */
  term(): void;
}

export interface ConsumeOptions {
  /** Consumers with the same durable name share the messages (queue-group semantics) and the position. */
  durable: string;
  /** Subject filter, wildcards allowed (e.g. `events.raw.*`). */
  filter: string;
  /** Upper bound on bytes buffered ahead of the handler (NATS: pulls of maxBytes / max_payload messages). */
  maxBytes: number;
  /** Upper bound on messages delivered and not yet acked. */
  maxAckPending: number;
}

/** Messages in delivery order. `stop()` ends the iteration after what is already buffered. */
export interface Consumption extends AsyncIterable<DurableMessage> {
  stop(): void;
}

export type ControlHandler = (data: Uint8Array, subject: string) => Promise<Uint8Array | void> | Uint8Array | void;

/** Control traffic: not durable, not for batches. Same shape as the runtime's `ControlChannel`. */
export interface ControlBus {
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  publish(subject: string, data: Uint8Array): Promise<void>;
  serve(subject: string, handler: ControlHandler): void;
}

export interface Bus {
  readonly control: ControlBus;
  /** Resolves once the message is stored (JetStream ack); rejects with PublishError otherwise. */
  publish(subject: string, data: Uint8Array, opts?: PublishOptions): Promise<void>;
  consume(opts: ConsumeOptions): Promise<Consumption>;
  /** Flushes what is pending and closes; consumptions end. */
  close(): Promise<void>;
}
