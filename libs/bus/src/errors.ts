/** Errors of the bus package. Each carries the structured facts a caller counts or logs. */

/** A bus setting that cannot be used: names the config key. */
export class BusConfigError extends Error {
  override readonly name = 'BusConfigError';
  readonly key: string;

  constructor(key: string, reason: string, options?: { cause?: unknown }) {
    super(`bus config '${key}': ${reason}`, options);
    this.key = key;
  }
}

/** A durable publish the server did not confirm (no stream, timeout, connection closed). */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  readonly subject: string;

  constructor(subject: string, options?: { cause?: unknown }) {
    super(`publish to '${subject}' was not acknowledged`, options);
    this.subject = subject;
  }
}

/** A subject that no stream of ours covers, so it cannot be published or consumed durably. */
export class NoStreamError extends Error {
  override readonly name = 'NoStreamError';
  readonly subject: string;

  constructor(subject: string) {
    super(`no stream covers subject '${subject}'`);
    this.subject = subject;
  }
}

/** Alert JSON that cannot be read: what is wrong and the character offset where it was found. */
export class AlertDecodeError extends Error {
  override readonly name = 'AlertDecodeError';
  readonly offset: number;

  constructor(reason: string, offset: number) {
    super(`alert JSON at offset ${offset}: ${reason}`);
    this.offset = offset;
  }
}
