/** stdout, as Falco's text or JSON output. Writes go through one stream; backpressure is awaited. */
import type { Writable } from 'node:stream';
import type { Alert } from '@peregrine/event';
import { encodeAlert } from '@peregrine/bus';
import { textLine } from '../alert-format.ts';
import type { Destination } from './destination.ts';

export type StdoutFormat = 'text' | 'json';

export class StdoutDestination implements Destination {
  constructor(
    readonly name: string,
    private readonly format: StdoutFormat,
    private readonly stream: Writable = process.stdout,
  ) {}

  send(alert: Alert): Promise<void> {
    const line = this.format === 'json' ? encodeAlert(alert) : textLine(alert);
    if (this.stream.write(`${line}\n`)) return Promise.resolve();
    return new Promise((resolve) => this.stream.once('drain', resolve));
  }
}
