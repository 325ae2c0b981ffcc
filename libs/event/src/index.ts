export * from './schema.ts';
export * from './priority.ts';
export * from './event-table.ts';
export { encodeBatch, encodeBatchPruning, decodeBatch } from './codec/batch.ts';
export { CodecError, SchemaVersionError } from './errors.ts';
export * from './flag-tables.ts';
export { resolvePath } from './paths.ts';
