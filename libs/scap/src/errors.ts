/** Why a capture could not be read further. Events read before the offset still count. */
export const ScapErrorCode = {
  /** the file ends inside a block (or inside the compressed stream) */
  Truncated: 'truncated',
  /** a block or event contradicts its own lengths, or the file is not a capture */
  Corrupt: 'corrupt',
  /** a major version this reader does not know */
  Version: 'version',
} as const;
export type ScapErrorCode = (typeof ScapErrorCode)[keyof typeof ScapErrorCode];

/**
 * A capture file problem at a byte offset. Offsets count bytes of the decompressed stream (for a plain file, the
 * file offset); `blockType` is the type of the block being read, when known.
 */
export class ScapError extends Error {
  override name = 'ScapError';
  constructor(
    readonly code: ScapErrorCode,
    readonly offset: number,
    readonly reason: string,
    readonly file: string | null = null,
    readonly blockType: number | null = null,
  ) {
    super(`${file ?? 'capture'}: ${code} at byte ${offset}${blockType === null ? '' : ` (block 0x${blockType.toString(16)})`}: ${reason}`);
  }

  withFile(file: string): ScapError {
    return new ScapError(this.code, this.offset, this.reason, file, this.blockType);
  }
}
