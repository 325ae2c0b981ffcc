/**
 * falcosidekick-compatible webhook: POSTs the alert in Falco's JSON shape, with the configured headers and an
 * idempotency key header carrying the alert uuid (the same on every retry), so a receiver can drop the duplicates
 * that at-least-once delivery can produce.
 */
import type { Alert } from '@peregrine/event';
import { encodeAlert } from '@peregrine/bus';
import type { Destination } from './destination.ts';
import type { HttpPoster } from './http-post.ts';

export class WebhookDestination implements Destination {
  constructor(
    readonly name: string,
    private readonly http: HttpPoster,
    private readonly idempotencyHeader: string,
  ) {}

  send(alert: Alert): Promise<void> {
    return this.http.post(encodeAlert(alert), 'application/json', { [this.idempotencyHeader]: alert.uuid });
  }

  close(): void {
    this.http.close();
  }
}
