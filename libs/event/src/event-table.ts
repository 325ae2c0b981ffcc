/**
 * The event table: for each event type we know, its name (`evt.type`), and the parameters of its enter and exit
 * events in libsinsp's order and with libsinsp's names, so `evt.arg.NAME` and `evt.arg[N]` read as in Falco.
 * Capture, the scap reader and the rules engine all read this one table.
 *
 * Codes are ours (dense, stable once released); the mapping from libscap's PPME ids lives in the scap reader.
 */

export const ParamType = {
  /** signed 64-bit syscall return value; negative = -errno */
  Errno: 'errno',
  Fd: 'fd',
  Pid: 'pid',
  Int: 'int',
  Uint: 'uint',
  /** 64-bit values kept as bigint */
  Int64: 'int64',
  Uint64: 'uint64',
  String: 'string',
  /** an absolute or cwd-relative path, resolved against the process cwd / dirfd for fd.name */
  Path: 'path',
  Bytes: 'bytes',
  /** a bitmask rendered with the named flag table (evt.arg.flags contains O_TRUNC) */
  Flags: 'flags',
  /** a single value rendered with the named enum table (ptrace request, socket domain…) */
  Enum: 'enum',
  /** file mode bits */
  Mode: 'mode',
  SockAddr: 'sockaddr',
  SockTuple: 'socktuple',
  /** NUL-separated strings (args, env) */
  StringArray: 'stringarray',
  Uid: 'uid',
  Gid: 'gid',
  Dev: 'dev',
} as const;
export type ParamType = (typeof ParamType)[keyof typeof ParamType];

export interface ParamInfo {
  name: string;
  type: ParamType;
  /** For Flags and Enum: the key of the table in flag-tables.ts. */
  table?: string;
}

export interface EventTypeInfo {
  /** Our dense code: the index in EVENT_TYPES. */
  code: number;
  /** evt.type, e.g. "openat" */
  name: string;
  /** libsinsp's category (file, net, process…) for evt.category */
  category: string;
  enter: readonly ParamInfo[];
  exit: readonly ParamInfo[];
}

const p = (name: string, type: ParamType, table?: string): ParamInfo => (table ? { name, type, table } : { name, type });

/** Declaration order gives the code. Append new types at the end; never reorder. */
const DECLARED: ReadonlyArray<Omit<EventTypeInfo, 'code'>> = [
  {
    name: 'openat',
    category: 'file',
    enter: [p('dirfd', 'fd'), p('name', 'path'), p('flags', 'flags', 'open_flags'), p('mode', 'mode')],
    exit: [
      p('fd', 'fd'), p('dirfd', 'fd'), p('name', 'path'), p('flags', 'flags', 'open_flags'), p('mode', 'mode'),
      p('dev', 'dev'), p('ino', 'uint64'),
    ],
  },
  {
    name: 'execve',
    category: 'process',
    enter: [p('filename', 'path')],
    exit: [p('res', 'errno'), p('exe', 'string'), p('args', 'stringarray'), p('tid', 'pid'), p('pid', 'pid')],
  },
  {
    name: 'connect',
    category: 'net',
    enter: [p('fd', 'fd'), p('addr', 'sockaddr')],
    exit: [p('res', 'errno'), p('tuple', 'socktuple'), p('fd', 'fd')],
  },
];

export const EVENT_TYPES: readonly EventTypeInfo[] = DECLARED.map((t, code) => ({ ...t, code }));

const BY_NAME = new Map(EVENT_TYPES.map((t) => [t.name, t]));

export function eventTypeByName(name: string): EventTypeInfo | undefined {
  return BY_NAME.get(name);
}

export function eventTypeByCode(code: number): EventTypeInfo | undefined {
  return EVENT_TYPES[code];
}
