/** What every destination implements. Routing, custom fields and retry queues are the runner's job, not theirs. */
import type { Alert } from '@peregrine/event';

export interface Destination {
  readonly name: string;
  /** Delivers one alert, or throws a DeliveryError (`permanent` when retrying cannot help). */
  send(alert: Alert): Promise<void>;
  /** Re-opens files after log rotation by another tool (SIGHUP). */
  reopen?(): void;
  close?(): Promise<void> | void;
}
