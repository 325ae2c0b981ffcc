/** Errors of the event package. Each carries the structured facts a caller counts or logs. */

/** A batch that cannot be encoded, or bytes that are not a valid encoded batch. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  /** Byte offset in the input (decode) or output (encode) where the problem was found. */
  readonly offset: number;
  readonly reason: string;

  constructor(offset: number, reason: string, options?: { cause?: unknown }) {
    super(`${reason} at byte ${offset}`, options);
    this.offset = offset;
    this.reason = reason;
  }
}

/** An encoded batch of another schema version than this build understands. */
export class SchemaVersionError extends Error {
  override readonly name = 'SchemaVersionError';
  readonly found: number;
  readonly expected: number;

  constructor(found: number, expected: number) {
    super(`batch schema version ${found}, this build reads version ${expected}`);
    this.found = found;
    this.expected = expected;
  }
}
