/** Errors of the telemetry package. */

/** An OTEL_* variable or telemetry config value that cannot be used: names it. */
export class TelemetryConfigError extends Error {
  override readonly name = 'TelemetryConfigError';
  readonly key: string;

  constructor(key: string, reason: string) {
    super(`telemetry setting '${key}': ${reason}`);
    this.key = key;
  }
}
