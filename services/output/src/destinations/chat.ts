/**
 * Chat webhooks. `slack` posts Slack's incoming-webhook body `{"text": …}` (Mattermost and Rocket.Chat accept it
 * too); `generic` posts `{"<textField>": …}` (e.g. `content` for Discord), plus fixed extra body fields. The message
 * is a template compiled at load time.
 */
import type { Alert } from '@peregrine/event';
import type { Template } from '../alert-format.ts';
import type { Destination } from './destination.ts';
import type { HttpPoster } from './http-post.ts';

export class ChatDestination implements Destination {
  constructor(
    readonly name: string,
    private readonly http: HttpPoster,
    private readonly template: Template,
    private readonly textField: string,
    private readonly extraBody: Record<string, string>,
  ) {}

  send(alert: Alert): Promise<void> {
    const body = { ...this.extraBody, [this.textField]: this.template(alert) };
    return this.http.post(JSON.stringify(body), 'application/json', { 'idempotency-key': alert.uuid });
  }

  close(): void {
    this.http.close();
  }
}
