/** Block types of the pcapng-like .scap format (libscap `scap_savefile.h`). */
export const Block = {
  Section: 0x0a0d0d0a,
  MachineInfo: 0x201,
  MachineInfoInt: 0x8002abcd,
  ProcListV1: 0x202,
  ProcListV1Int: 0x8000abcd,
  ProcListV2: 0x207,
  ProcListV2Int: 0x8013abcd,
  ProcListV3: 0x209,
  ProcListV3Int: 0x8014abcd,
  ProcListV4: 0x210,
  ProcListV5: 0x211,
  ProcListV6: 0x212,
  ProcListV7: 0x213,
  ProcListV8: 0x214,
  ProcListV9: 0x215,
  FdList: 0x203,
  FdListInt: 0x8001abcd,
  FdListV2: 0x218,
  Event: 0x204,
  EventInt: 0x8010abcd,
  EventV2: 0x216,
  EventV2Large: 0x221,
  EventFlags: 0x208,
  EventFlagsV2: 0x217,
  EventFlagsV2Large: 0x222,
  IfList: 0x205,
  IfListInt: 0x8011abcd,
  IfListV2: 0x219,
  UserList: 0x206,
  UserListInt: 0x8012abcd,
  UserListV2: 0x220,
} as const;

export const SECTION_MAGIC = 0x1a2b3c4d;
export const MAX_MAJOR_VERSION = 1;

/** Process list versions: which optional fields each block type carries. */
export function procListVersion(blockType: number): number {
  switch (blockType) {
    case Block.ProcListV1: case Block.ProcListV1Int: return 1;
    case Block.ProcListV2: case Block.ProcListV2Int: return 2;
    case Block.ProcListV3: case Block.ProcListV3Int: return 3;
    case Block.ProcListV4: return 4;
    case Block.ProcListV5: return 5;
    case Block.ProcListV6: return 6;
    case Block.ProcListV7: return 7;
    case Block.ProcListV8: return 8;
    case Block.ProcListV9: return 9;
    default: return 0;
  }
}

export interface EventBlockShape {
  /** the event header carries nparams (v2); v1 headers are 4 bytes shorter and nparams is inferred */
  v2: boolean;
  /** parameter lengths are 32-bit (large blocks) instead of 16-bit */
  large: boolean;
  /** 32 bits of flags follow the cpu id */
  flags: boolean;
}

const SHAPES = new Map<number, EventBlockShape>([
  [Block.Event, { v2: false, large: false, flags: false }],
  [Block.EventInt, { v2: false, large: false, flags: false }],
  [Block.EventV2, { v2: true, large: false, flags: false }],
  [Block.EventV2Large, { v2: true, large: true, flags: false }],
  [Block.EventFlags, { v2: false, large: false, flags: true }],
  [Block.EventFlagsV2, { v2: true, large: false, flags: true }],
  [Block.EventFlagsV2Large, { v2: true, large: true, flags: true }],
]);

export function eventBlockShape(blockType: number): EventBlockShape | undefined {
  return SHAPES.get(blockType);
}
