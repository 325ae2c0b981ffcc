/** Errors of the output stage. Each carries the structured facts a caller logs or counts. */

/** A bad value in the output section of the config: `path` names it, e.g. `destinations[2].url`. */
export class OutputConfigError extends Error {
  override readonly name = 'OutputConfigError';
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(`output config ${path}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}

/**
 * A destination could not deliver one alert. `permanent` marks failures that retrying cannot fix (e.g. HTTP 400):
 * the alert is then counted and reported as failed instead of blocking the destination's queue forever.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  readonly destination: string;
  readonly permanent: boolean;
  /** HTTP status when there was a response, 0 otherwise. */
  readonly status: number;

  constructor(destination: string, reason: string, opts: { permanent?: boolean; status?: number; cause?: unknown } = {}) {
    super(`destination ${destination}: ${reason}`, { cause: opts.cause });
    this.destination = destination;
    this.permanent = opts.permanent ?? false;
    this.status = opts.status ?? 0;
  }
}

/** A bad responses rules file: `file` and `path` (e.g. `[3].match.priority`) name the place. */
export class ResponseRulesError extends Error {
  override readonly name = 'ResponseRulesError';
  readonly file: string;
  readonly path: string;
  readonly reason: string;

  constructor(file: string, path: string, reason: string) {
    super(`${file}: ${path}: ${reason}`);
    this.file = file;
    this.path = path;
    this.reason = reason;
  }
}

/** A response action failed for one alert. */
export class ActionError extends Error {
  override readonly name = 'ActionError';
  readonly action: string;
  readonly actionner: string;

  constructor(action: string, actionner: string, reason: string, options?: { cause?: unknown }) {
    super(`action ${action} (${actionner}): ${reason}`, options);
    this.action = action;
    this.actionner = actionner;
  }
}

/** A spool file line that is not a valid queued alert (e.g. a torn write after a crash). */
export class SpoolCorruptError extends Error {
  override readonly name = 'SpoolCorruptError';
  readonly file: string;
  readonly offset: number;

  constructor(file: string, offset: number) {
    super(`${file}: unreadable record at byte ${offset}`);
    this.file = file;
    this.offset = offset;
  }
}
