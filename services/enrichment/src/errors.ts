/** Typed errors of the enrichment stage. */

/** A bad value in the stage's config section; `key` is the dotted path within it. */
export class EnrichmentConfigError extends Error {
  override readonly name = 'EnrichmentConfigError';
  constructor(readonly key: string, readonly problem: string) {
    super(`enrichment config: ${key}: ${problem}`);
  }
}

/** A metadata record off the wire (the central bucket) that could not be decoded; `key` is the KV key. */
export class MetadataDecodeError extends Error {
  override readonly name = 'MetadataDecodeError';
  constructor(readonly key: string, readonly problem: string) {
    super(`metadata record ${key}: ${problem}`);
  }
}

/** A CRI call that failed; `method` is the gRPC method, `socket` the runtime endpoint. */
export class CriError extends Error {
  override readonly name = 'CriError';
  constructor(readonly socket: string, readonly method: string, override readonly cause: unknown) {
    super(`CRI ${method} on ${socket}: ${(cause as Error)?.message ?? String(cause)}`);
  }
}
