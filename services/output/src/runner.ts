/**
 * One destination's delivery: route check, custom fields, then a direct send while the destination is healthy.
 * When a send fails the alert goes to the destination's spool and a drain loop retries the spool in order with
 * capped exponential backoff; while the spool is non-empty new alerts queue behind it. So a destination that is
 * down costs the others nothing, and `submit()` resolves as soon as the alert is delivered or durably queued.
 */
import type { Alert } from '@peregrine/event';
import type { Logger } from '@peregrine/runtime';
import { withCustomFields } from './alert-format.ts';
import type { Destination } from './destinations/destination.ts';
import { DeliveryError } from './errors.ts';
import type { RouteCheck } from './route.ts';
import { Spool } from './spool.ts';

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  /** A spool holding this many alerts takes no more: the excess is counted (`spool_full`) and logged. */
  maxQueued: number;
}

/** What became of one alert at one destination. */
export type Outcome = 'not_routed' | 'delivered' | 'queued' | 'failed' | 'spool_full';

export interface RunnerCounters {
  delivered(dest: string): void;
  queued(dest: string): void;
  failed(dest: string, reason: string): void;
  spoolDepth(dest: string, depth: number): void;
}

export class DestinationRunner {
  private healthy = true;
  private draining: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private closed = false;

  constructor(
    readonly destination: Destination,
    private readonly route: RouteCheck,
    private readonly customFields: Record<string, string> | null,
    private readonly spool: Spool,
    private readonly retry: RetryPolicy,
    private readonly log: Logger,
    private readonly counters: RunnerCounters,
  ) {
    for (const c of spool.corrupt) log.warn('spool record skipped', { destination: destination.name, file: c.file, offset: c.offset });
    counters.spoolDepth(destination.name, spool.pending);
    if (spool.pending > 0) this.startDrain();
  }

  get pending(): number {
    return this.spool.pending;
  }

  async submit(alert: Alert): Promise<Outcome> {
    if (!this.route(alert)) return 'not_routed';
    const out = withCustomFields(alert, this.customFields);
    if (this.healthy && this.spool.pending === 0) {
      try {
        await this.destination.send(out);
        this.counters.delivered(this.destination.name);
        return 'delivered';
      } catch (err) {
        if (this.giveUp(out, err)) return 'failed';
        this.healthy = false;
      }
    }
    if (this.spool.pending >= this.retry.maxQueued) {
      this.counters.failed(this.destination.name, 'spool_full');
      this.log.error('spool full, alert not queued', { destination: this.destination.name, uuid: alert.uuid, queued: this.spool.pending });
      return 'spool_full';
    }
    this.spool.append(out);
    this.counters.queued(this.destination.name);
    this.counters.spoolDepth(this.destination.name, this.spool.pending);
    this.startDrain();
    return 'queued';
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.draining;
    this.spool.close();
    await this.destination.close?.();
  }

  /** Permanent failures are counted and logged, never retried for ever. Returns true when given up. */
  private giveUp(alert: Alert, err: unknown): boolean {
    const permanent = err instanceof DeliveryError && err.permanent;
    const reason = err instanceof Error ? err.message : String(err);
    if (!permanent) {
      this.log.warn('delivery failed, queued for retry', { destination: this.destination.name, uuid: alert.uuid, reason });
      return false;
    }
    this.counters.failed(this.destination.name, err instanceof DeliveryError && err.status ? `http_${err.status}` : 'permanent');
    this.log.error('delivery failed permanently, alert not retried', { destination: this.destination.name, uuid: alert.uuid, reason });
    return true;
  }

  private startDrain(): void {
    this.draining ??= this.drain().finally(() => { this.draining = null; });
  }

  private async drain(): Promise<void> {
    let backoff = this.retry.initialMs;
    while (!this.closed) {
      const alert = this.spool.peek();
      if (!alert) {
        this.healthy = true;
        return;
      }
      try {
        await this.destination.send(alert);
        this.counters.delivered(this.destination.name);
        this.spool.shift();
        backoff = this.retry.initialMs;
      } catch (err) {
        if (this.giveUp(alert, err)) {
          this.spool.shift();
        } else {
          await this.sleep(backoff);
          backoff = Math.min(backoff * 2, this.retry.maxMs);
        }
      }
      this.counters.spoolDepth(this.destination.name, this.spool.pending);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wake = null; resolve(); }, ms);
      this.wake = () => { clearTimeout(t); this.wake = null; resolve(); };
    });
  }
}
