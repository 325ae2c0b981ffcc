export { ScapError, ScapErrorCode } from './errors.ts';
export { openCapture, EventCursor, type Capture, type CaptureMetadata, type CaptureWindow } from './capture.ts';
export { PPME, LIBSINSP_029_EVENT_MAX, type PpmeInfo } from './ppme-table.ts';
export type { ScapThreadEntry, ScapFdEntry, ScapUser, ScapGroup } from './metadata.ts';
export { readCapture, replayBatches, DEFAULT_BATCH_SIZE, WINDOW_BYTES, type ReplayOptions, type ReplaySummary } from './replay.ts';
export { Parser, type ParserOptions } from './parser.ts';
export { replaySource, type ReplaySourceOptions } from './source.ts';
