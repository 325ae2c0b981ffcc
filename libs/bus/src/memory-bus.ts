/**
 * The bus in one process: same interface as NatsBus, no persistence. A message is queued for every durable whose
 * filter matches when it is published (a JetStream stream would also keep it for durables created later).
 * Publish waits while a durable's queue is full, so a fast source is slowed to the pace of its consumers.
 */
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { Bus, ConsumeOptions, Consumption, ControlBus, ControlHandler, DurableMessage, PublishOptions } from './bus.ts';
import { subjectMatches } from './match.ts';
import { extractTraceContext, injectTraceHeaders, recordCarrier } from './trace-context.ts';

interface Stored {
  subject: string;
  data: Uint8Array;
  seq: number;
  headers: Record<string, string>;
  deliveries: number;
}

class DurableQueue {
  readonly items: Stored[] = [];
  private readonly readers: Array<() => void> = [];
  private readonly writers: Array<() => void> = [];

  constructor(readonly filter: string, readonly capacity: number) {}

  push(m: Stored, front = false): void {
    if (front) this.items.unshift(m); else this.items.push(m);
    this.readers.shift()?.();
  }

  take(): Stored | undefined {
    const m = this.items.shift();
    if (m && this.items.length < this.capacity) this.writers.shift()?.();
    return m;
  }

  waitForItem(): Promise<void> { return new Promise((r) => this.readers.push(r)); }
  waitForRoom(): Promise<void> { return this.items.length < this.capacity ? Promise.resolve() : new Promise((r) => this.writers.push(r)); }
  wakeReaders(): void { for (const r of this.readers.splice(0)) r(); }
}

class MemoryControl implements ControlBus {
  private readonly handlers: Array<{ filter: string; handler: ControlHandler }> = [];

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const h = this.handlers.find((x) => subjectMatches(x.filter, subject));
    if (!h) throw new Error(`no responders for '${subject}'`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`request to '${subject}' timed out`)), timeoutMs); });
    try {
      const reply = await Promise.race([Promise.resolve(h.handler(data, subject)), timeout]);
      if (!reply) throw new Error(`no reply from '${subject}'`);
      return reply;
    } finally {
      clearTimeout(timer);
    }
  }

  async publish(subject: string, data: Uint8Array): Promise<void> {
    for (const h of this.handlers) {
      if (!subjectMatches(h.filter, subject)) continue;
      queueMicrotask(() => { Promise.resolve().then(() => h.handler(data, subject)).catch(() => {}); });
    }
  }

  serve(subject: string, handler: ControlHandler): void {
    this.handlers.push({ filter: subject, handler });
  }
}

export interface MemoryBusOptions {
  /** Messages a durable may hold before publishers wait. */
  queueCapacity?: number;
  /** How many recent message ids per subject are remembered for deduplication. */
  dedupWindow?: number;
}

export class MemoryBus implements Bus {
  readonly control: ControlBus = new MemoryControl();
  private readonly durables = new Map<string, DurableQueue>();
  private readonly seen = new Map<string, true>();
  private seq = 0;
  private closed = false;
  private readonly capacity: number;
  private readonly dedupWindow: number;

  constructor(opts: MemoryBusOptions = {}) {
    this.capacity = opts.queueCapacity ?? 256;
    this.dedupWindow = opts.dedupWindow ?? 100_000;
  }

  async publish(subject: string, data: Uint8Array, opts: PublishOptions = {}): Promise<void> {
    if (this.closed) throw new Error('bus closed');
    if (opts.msgId !== undefined) {
      const key = `${subject}\u0000${opts.msgId}`;
      if (this.seen.has(key)) return;
      this.seen.set(key, true);
      if (this.seen.size > this.dedupWindow) this.seen.delete(this.seen.keys().next().value!);
    }
    const headers = opts.context ? injectTraceHeaders(opts.context) : {};
    const seq = ++this.seq;
    for (const q of this.durables.values()) {
      if (!subjectMatches(q.filter, subject)) continue;
      await q.waitForRoom();
      q.push({ subject, data, seq, headers, deliveries: 0 });
    }
  }

  async consume(opts: ConsumeOptions): Promise<Consumption> {
    let q = this.durables.get(opts.durable);
    if (!q) {
      q = new DurableQueue(opts.filter, this.capacity);
      this.durables.set(opts.durable, q);
    }
    const queue = q;
    let stopping = false;
    const bus = this;
    return {
      stop: () => { stopping = true; queue.wakeReaders(); },
      async *[Symbol.asyncIterator](): AsyncIterator<DurableMessage> {
        for (;;) {
          const m = queue.take();
          if (m) { yield deliver(queue, m); continue; }
          // What is queued is all there is (no persistence): stop only once it has been handed out.
          if (stopping || bus.closed) return;
          await queue.waitForItem();
        }
      },
    };
  }

  /** Messages queued and not yet handed to a consumer, for every durable. */
  pending(): number {
    let n = 0;
    for (const q of this.durables.values()) n += q.items.length;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.durables.values()) q.wakeReaders();
  }
}

function deliver(queue: DurableQueue, m: Stored): DurableMessage {
  const redeliveries = m.deliveries++;
  let settled = false;
  const settle = () => { const first = !settled; settled = true; return first; };
  return {
    subject: m.subject,
    data: m.data,
    seq: m.seq,
    redeliveries,
    context: Object.keys(m.headers).length ? extractTraceContext(recordCarrier(m.headers)) : ROOT_CONTEXT,
    ack: settle,
    term: settle,
    nak: () => { if (settle()) queue.push(m, true); },
  };
}
