/** Errors of the runtime package. Each carries the structured facts a caller prints or counts. */

/** A config file or value that cannot be used: names the file and the key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly file: string | undefined;
  readonly key: string;

  constructor(file: string | undefined, key: string, reason: string, options?: { cause?: unknown }) {
    super(`${file ?? 'config'}${key ? `: '${key}'` : ''}: ${reason}`, options);
    this.file = file;
    this.key = key;
  }
}

/** A stage module that cannot be used: missing, failing on import, or without a StageFactory default export. */
export class StageLoadError extends Error {
  override readonly name = 'StageLoadError';
  readonly stage: string;
  readonly module: string;

  constructor(stage: string, module: string, reason: string, options?: { cause?: unknown }) {
    super(`stage '${stage}' (module ${module}): ${reason}`, options);
    this.stage = stage;
    this.module = module;
  }
}
