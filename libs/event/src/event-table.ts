/**
 * The event table: for each event type we know, its name (`evt.type`), and the parameters of its enter and exit
 * events in libsinsp's order and with libsinsp's names, so `evt.arg.NAME` and `evt.arg[N]` read as in Falco.
 * Capture, the scap reader and the rules engine all read this one table.
 *
 * The layouts are those of falcosecurity/libs `driver/event_table.c` (newest version of each event; upstream only
 * ever appends parameters to an event, so older captures carry a prefix of these lists). Types are libscap's wire
 * types (`ScapType`); `type` is the semantic class the rest of Peregrine switches on. Flag, enum and mode values are
 * libscap's PPM encodings (e.g. O_RDONLY = 1), not the kernel's: see flag-tables.ts.
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
  /** NUL-separated strings (args, env, cgroups): string[] in the event model */
  StringArray: 'stringarray',
  Uid: 'uid',
  Gid: 'gid',
  Dev: 'dev',
  /** poll/ppoll fd list: `fd:flags` pairs */
  FdList: 'fdlist',
  /** a libsinsp syscall id (generic events): rendered as the syscall name */
  SyscallId: 'syscallid',
  /** a signal number: rendered as SIGKILL… */
  Signal: 'signal',
  /** nanoseconds, relative (timeouts) or since the epoch */
  RelTime: 'reltime',
  AbsTime: 'abstime',
  SigSet: 'sigset',
  /** a value whose type depends on another argument (ptrace addr/data, setsockopt val) */
  Dyn: 'dyn',
  /** tracer events' tags and key=value pairs */
  StringList: 'stringlist',
} as const;
export type ParamType = (typeof ParamType)[keyof typeof ParamType];

/** libscap's parameter wire types (PT_* without the prefix). Integers keep their width and signedness. */
export type ScapType =
  | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'charbuf' | 'bytebuf' | 'errno' | 'sockaddr' | 'socktuple' | 'fd' | 'pid' | 'fdlist' | 'fspath' | 'syscallid'
  | 'sigtype' | 'reltime' | 'abstime' | 'port' | 'l4proto' | 'sockfamily' | 'bool' | 'ipv4addr' | 'dyn'
  | 'flags8' | 'flags16' | 'flags32' | 'uid' | 'gid' | 'double' | 'sigset' | 'charbufarray' | 'charbuf_pair_array'
  | 'ipv4net' | 'ipv6addr' | 'ipv6net' | 'ipaddr' | 'ipnet' | 'mode' | 'fsrelpath'
  | 'enumflags8' | 'enumflags16' | 'enumflags32';

/** How libsinsp prints a numeric argument in `evt.args` (PF_*). */
export type PrintFormat = 'na' | 'dec' | 'hex' | 'oct' | 'padded_dec' | 'id' | 'dir';

export interface ParamInfo {
  name: string;
  type: ParamType;
  scap: ScapType;
  fmt: PrintFormat;
  /** For Flags, Enum and Mode: the key of the table in flag-tables.ts. */
  table?: string;
  /** For a path relative to a directory fd (PT_FSRELPATH): the index of that fd argument in the same list. */
  dirfd?: number;
}

/** libsinsp's event flags (EF_*) that matter to consumers: fd bookkeeping and I/O classification. */
export const EventFlag = {
  CreatesFd: 1,
  DestroysFd: 2,
  UsesFd: 4,
  ReadsFromFd: 8,
  WritesToFd: 16,
  ModifiesState: 32,
  Waits: 128,
} as const;

export interface EventTypeInfo {
  /** Our dense code: the index in EVENT_TYPES. */
  code: number;
  /** evt.type, e.g. "openat" */
  name: string;
  /**
   * libsinsp's category name as `evt.category` prints it (file, net, IPC, process…). For the I/O categories
   * (`io_read`, `io_write`, `io_other`) libsinsp prints the class of the fd instead (file, net, ipc, unknown).
   */
  category: string;
  /** `EventFlag` bits */
  flags: number;
  /** A syscall libsinsp reports only through its generic event: args are `ID` (enter: also `nativeID`). */
  generic: boolean;
  enter: readonly ParamInfo[];
  exit: readonly ParamInfo[];
}

const TYPE_OF: Record<ScapType, ParamType> = {
  int8: 'int', int16: 'int', int32: 'int', int64: 'int64', uint8: 'uint', uint16: 'uint', uint32: 'uint',
  uint64: 'uint64', charbuf: 'string', bytebuf: 'bytes', errno: 'errno', sockaddr: 'sockaddr',
  socktuple: 'socktuple', fd: 'fd', pid: 'pid', fdlist: 'fdlist', fspath: 'path', fsrelpath: 'path',
  syscallid: 'syscallid', sigtype: 'signal', reltime: 'reltime', abstime: 'abstime', port: 'uint', l4proto: 'uint',
  sockfamily: 'uint', bool: 'uint', ipv4addr: 'string', ipv4net: 'string', ipv6addr: 'string', ipv6net: 'string',
  ipaddr: 'string', ipnet: 'string', dyn: 'dyn', flags8: 'flags', flags16: 'flags', flags32: 'flags', uid: 'uid',
  gid: 'gid', double: 'string', sigset: 'sigset', charbufarray: 'stringlist', charbuf_pair_array: 'stringlist',
  mode: 'mode', enumflags8: 'enum', enumflags16: 'enum', enumflags32: 'enum',
};

/** NUL-separated string buffers the event model splits into string[]. */
const STRING_ARRAYS = new Set(['args', 'env', 'cgroups']);
const TEXT_TYPES = new Set<ScapType>(['charbuf', 'bytebuf', 'fspath', 'fsrelpath', 'sockaddr', 'socktuple', 'fdlist',
  'charbufarray', 'charbuf_pair_array']);

/**
 * One parameter list, written `name:scaptype[/fmt][/table][@dirfd]` space-separated, e.g.
 * `fd:fd name:fsrelpath@1 flags:flags32/hex/file_flags`. Parsed once at load.
 */
export function parseParams(spec: string, processArgs = false): ParamInfo[] {
  if (spec === '') return [];
  return spec.split(' ').map((item) => {
    const [head, dirfd] = item.split('@');
    const [name, rest] = head.split(':');
    const [scap, ...opts] = rest.split('/') as [ScapType, ...string[]];
    let fmt: PrintFormat = TEXT_TYPES.has(scap) ? 'na' : 'dec';
    let table: string | undefined;
    for (const o of opts) {
      if (o === 'hex' || o === 'oct' || o === 'dec' || o === 'na' || o === 'padded_dec' || o === 'id' || o === 'dir') fmt = o;
      else table = o;
    }
    const type: ParamType = processArgs && scap === 'bytebuf' && STRING_ARRAYS.has(name)
      ? 'stringarray'
      : name === 'dev' && scap === 'uint32' ? 'dev' : TYPE_OF[scap];
    const info: ParamInfo = { name, type, scap, fmt };
    if (table) info.table = table;
    if (dirfd !== undefined) info.dirfd = Number(dirfd);
    return info;
  });
}

const F = EventFlag;
type Declared = Omit<EventTypeInfo, 'code'>;
const ev = (name: string, category: string, flags: number, enter: string, exit: string): Declared => {
  const processArgs = category === 'process';
  return { name, category, flags, generic: false, enter: parseParams(enter, processArgs), exit: parseParams(exit, processArgs) };
};

/** Declaration order gives the code. Append new types at the end; never reorder. */
const DECLARED: readonly Declared[] = [
  ev('openat', 'file', F.CreatesFd | F.ModifiesState,
    'dirfd:fd name:fsrelpath@0 flags:flags32/hex/file_flags mode:uint32/oct',
    'fd:fd dirfd:fd name:fsrelpath@1 flags:flags32/hex/file_flags mode:uint32/oct dev:uint32/hex ino:uint64'),
  ev('execve', 'process', F.ModifiesState,
    'filename:fspath',
    'res:errno exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:uint64 pgft_maj:uint64 ' +
    'pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf env:bytebuf ' +
    'tty:uint32 pgid:pid loginuid:uid flags:flags32/hex/execve_flags cap_inheritable:uint64/hex ' +
    'cap_permitted:uint64/hex cap_effective:uint64/hex exe_ino:uint64 exe_ino_ctime:abstime exe_ino_mtime:abstime ' +
    'uid:uid trusted_exepath:fspath'),
  ev('connect', 'net', F.UsesFd | F.ModifiesState, 'fd:fd addr:sockaddr', 'res:errno tuple:socktuple fd:fd'),
  ev('open', 'file', F.CreatesFd | F.ModifiesState,
    'name:fspath flags:flags32/hex/file_flags mode:uint32/oct',
    'fd:fd name:fspath flags:flags32/hex/file_flags mode:uint32/oct dev:uint32/hex ino:uint64'),
  ev('close', 'io_other', F.DestroysFd | F.UsesFd | F.ModifiesState, 'fd:fd', 'res:errno'),
  ev('read', 'io_read', F.UsesFd | F.ReadsFromFd, 'fd:fd size:uint32', 'res:errno data:bytebuf'),
  ev('write', 'io_write', F.UsesFd | F.WritesToFd, 'fd:fd size:uint32', 'res:errno data:bytebuf'),
  ev('brk', 'memory', 0, 'addr:uint64/hex', 'res:uint64/hex vm_size:uint32 vm_rss:uint32 vm_swap:uint32'),
  ev('clone', 'process', F.ModifiesState,
    '',
    'res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 ' +
    'pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf ' +
    'flags:flags32/hex/clone_flags uid:uint32 gid:uint32 vtid:pid vpid:pid pidns_init_start_ts:uint64'),
  ev('procexit', 'process', F.ModifiesState, 'status:errno ret:errno sig:sigtype core:uint8 reaper_tid:pid', ''),
  ev('socket', 'net', F.CreatesFd | F.ModifiesState,
    'domain:enumflags32/socket_families type:uint32 proto:uint32',
    'fd:fd'),
  ev('bind', 'net', F.UsesFd | F.ModifiesState, 'fd:fd', 'res:errno addr:sockaddr'),
  ev('listen', 'net', F.UsesFd, 'fd:fd backlog:int32', 'res:errno'),
  ev('accept', 'net', F.CreatesFd | F.ModifiesState,
    '',
    'fd:fd tuple:socktuple queuepct:uint8 queuelen:uint32 queuemax:uint32'),
  ev('send', 'io_write', F.UsesFd | F.WritesToFd, 'fd:fd size:uint32', 'res:errno data:bytebuf'),
  ev('sendto', 'io_write', F.UsesFd | F.WritesToFd | F.ModifiesState,
    'fd:fd size:uint32 tuple:socktuple',
    'res:errno data:bytebuf'),
  ev('recv', 'io_read', F.UsesFd | F.ReadsFromFd, 'fd:fd size:uint32', 'res:errno data:bytebuf'),
  ev('recvfrom', 'io_read', F.UsesFd | F.ReadsFromFd | F.ModifiesState,
    'fd:fd size:uint32',
    'res:errno data:bytebuf tuple:socktuple'),
  ev('shutdown', 'net', F.UsesFd | F.ModifiesState, 'fd:fd how:flags8/hex/shutdown_how', 'res:errno'),
  ev('getsockname', 'net', 0, '', ''),
  ev('getpeername', 'net', 0, '', ''),
  ev('socketpair', 'IPC', F.CreatesFd | F.ModifiesState,
    'domain:enumflags32/socket_families type:uint32 proto:uint32',
    'res:errno fd1:fd fd2:fd source:uint64/hex peer:uint64/hex'),
  ev('setsockopt', 'net', F.UsesFd,
    '',
    'res:errno fd:fd level:flags8/sockopt_levels optname:flags8/sockopt_options val:dyn optlen:uint32'),
  ev('getsockopt', 'net', F.UsesFd | F.ModifiesState,
    '',
    'res:errno fd:fd level:flags8/sockopt_levels optname:flags8/sockopt_options val:dyn optlen:uint32'),
  ev('sendmsg', 'io_write', F.UsesFd | F.WritesToFd | F.ModifiesState,
    'fd:fd size:uint32 tuple:socktuple',
    'res:errno data:bytebuf'),
  ev('sendmmsg', 'io_write', 0, '', ''),
  ev('recvmsg', 'io_read', F.UsesFd | F.ReadsFromFd | F.ModifiesState,
    'fd:fd',
    'res:errno size:uint32 data:bytebuf tuple:socktuple msgcontrol:bytebuf'),
  ev('recvmmsg', 'io_read', 0, '', ''),
  ev('creat', 'file', F.CreatesFd | F.ModifiesState,
    'name:fspath mode:uint32/oct',
    'fd:fd name:fspath mode:uint32/oct dev:uint32/hex ino:uint64'),
  ev('pipe', 'IPC', F.CreatesFd | F.ModifiesState, '', 'res:errno fd1:fd fd2:fd ino:uint64'),
  ev('eventfd', 'IPC', F.CreatesFd | F.ModifiesState, 'initval:uint64 flags:flags32/hex', 'res:fd'),
  ev('futex', 'IPC', 0, 'addr:uint64/hex op:flags16/hex/futex_operations val:uint64', 'res:errno'),
  ev('stat', 'file', 0, '', 'res:errno path:fspath'),
  ev('lstat', 'file', 0, '', 'res:errno path:fspath'),
  ev('fstat', 'file', F.UsesFd, 'fd:fd/na', 'res:errno'),
  ev('stat64', 'file', 0, '', 'res:errno path:fspath'),
  ev('lstat64', 'file', 0, '', 'res:errno path:fspath'),
  ev('fstat64', 'file', F.UsesFd, 'fd:fd/na', 'res:errno'),
  ev('epoll_wait', 'wait', F.Waits, 'maxevents:errno', 'res:errno'),
  ev('poll', 'wait', F.Waits, 'fds:fdlist/dec timeout:int64', 'res:errno fds:fdlist/dec'),
  ev('select', 'wait', F.Waits, '', 'res:errno'),
  ev('lseek', 'file', F.UsesFd, 'fd:fd offset:uint64 whence:flags8/lseek_whence', 'res:errno'),
  ev('llseek', 'file', F.UsesFd, 'fd:fd offset:uint64 whence:flags8/lseek_whence', 'res:errno'),
  ev('ioctl', 'io_other', F.UsesFd, 'fd:fd request:uint64/hex argument:uint64/hex', 'res:errno'),
  ev('getcwd', 'file', 0, '', 'res:errno path:charbuf'),
  ev('chdir', 'file', F.ModifiesState, '', 'res:errno path:charbuf'),
  ev('fchdir', 'file', F.UsesFd | F.ModifiesState, 'fd:fd/na', 'res:errno'),
  ev('mkdir', 'file', 0, 'mode:uint32/hex', 'res:errno path:fspath'),
  ev('rmdir', 'file', 0, '', 'res:errno path:fspath'),
  ev('link', 'file', 0, '', 'res:errno oldpath:fspath newpath:fspath'),
  ev('linkat', 'file', 0,
    '',
    'res:errno olddir:fd oldpath:fsrelpath@1 newdir:fd newpath:fsrelpath@3 flags:flags32/hex/linkat_flags'),
  ev('unlink', 'file', 0, '', 'res:errno path:fspath'),
  ev('unlinkat', 'file', 0, '', 'res:errno dirfd:fd name:fsrelpath@1 flags:flags32/hex/unlinkat_flags'),
  ev('pread', 'io_read', F.UsesFd | F.ReadsFromFd, 'fd:fd size:uint32 pos:uint64', 'res:errno data:bytebuf'),
  ev('pwrite', 'io_write', F.UsesFd | F.WritesToFd, 'fd:fd size:uint32 pos:uint64', 'res:errno data:bytebuf'),
  ev('readv', 'io_read', F.UsesFd | F.ReadsFromFd, 'fd:fd', 'res:errno size:uint32 data:bytebuf'),
  ev('writev', 'io_write', F.UsesFd | F.WritesToFd, 'fd:fd size:uint32', 'res:errno data:bytebuf'),
  ev('preadv', 'io_read', F.UsesFd | F.ReadsFromFd, 'fd:fd pos:uint64', 'res:errno size:uint32 data:bytebuf'),
  ev('pwritev', 'io_write', F.UsesFd | F.WritesToFd, 'fd:fd size:uint32 pos:uint64', 'res:errno data:bytebuf'),
  ev('dup', 'io_other', F.CreatesFd | F.UsesFd | F.ModifiesState, 'fd:fd', 'res:fd oldfd:fd'),
  ev('signalfd', 'signal', F.CreatesFd | F.ModifiesState, 'fd:fd mask:uint32/hex flags:flags8/hex', 'res:fd'),
  ev('kill', 'signal', 0, 'pid:pid sig:sigtype', 'res:errno'),
  ev('tkill', 'signal', 0, 'tid:pid sig:sigtype', 'res:errno'),
  ev('tgkill', 'signal', 0, 'pid:pid tid:pid sig:sigtype', 'res:errno'),
  ev('nanosleep', 'sleep', F.Waits, 'interval:reltime', 'res:errno'),
  ev('timerfd_create', 'time', F.CreatesFd | F.ModifiesState, 'clockid:uint8 flags:flags8/hex', 'res:fd'),
  ev('inotify_init', 'IPC', F.CreatesFd | F.ModifiesState, 'flags:flags8/hex', 'res:fd'),
  ev('getrlimit', 'process', 0, 'resource:flags8/rlimit_resources', 'res:errno cur:int64 max:int64'),
  ev('setrlimit', 'process', 0, 'resource:flags8/rlimit_resources', 'res:errno cur:int64 max:int64'),
  ev('prlimit', 'process', 0,
    'pid:pid resource:flags8/rlimit_resources',
    'res:errno newcur:int64 newmax:int64 oldcur:int64 oldmax:int64'),
  ev('switch', 'scheduler', 0,
    'next:pid pgft_maj:uint64 pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32',
    ''),
  ev('drop', 'internal', 0, 'ratio:uint32', 'ratio:uint32'),
  ev('fcntl', 'io_other', F.UsesFd | F.ModifiesState,
    'fd:fd cmd:enumflags8/fcntl_commands',
    'res:fd fd:fd cmd:enumflags8/fcntl_commands'),
  ev('mmap', 'memory', 0,
    'addr:uint64/hex length:uint64 prot:flags32/hex/prot_flags flags:flags32/hex/mmap_flags fd:fd offset:uint64',
    'res:uint64/hex vm_size:uint32 vm_rss:uint32 vm_swap:uint32'),
  ev('mmap2', 'memory', 0,
    'addr:uint64/hex length:uint64 prot:flags32/hex/prot_flags flags:flags32/hex/mmap_flags fd:fd pgoffset:uint64',
    'res:uint64/hex vm_size:uint32 vm_rss:uint32 vm_swap:uint32'),
  ev('munmap', 'memory', 0, 'addr:uint64/hex length:uint64', 'res:errno vm_size:uint32 vm_rss:uint32 vm_swap:uint32'),
  ev('splice', 'io_other', F.UsesFd, 'fd_in:fd fd_out:fd size:uint64 flags:flags32/hex/splice_flags', 'res:errno'),
  ev('ptrace', 'process', 0, 'request:enumflags16/ptrace_requests pid:pid', 'res:errno addr:dyn/hex data:dyn/hex'),
  ev('rename', 'file', 0, '', 'res:errno oldpath:fspath newpath:fspath'),
  ev('renameat', 'file', 0, '', 'res:errno olddirfd:fd oldpath:fsrelpath@1 newdirfd:fd newpath:fsrelpath@3'),
  ev('symlink', 'file', 0, '', 'res:errno target:charbuf linkpath:fspath'),
  ev('symlinkat', 'file', 0, '', 'res:errno target:charbuf linkdirfd:fd linkpath:fsrelpath@2'),
  ev('fork', 'process', F.ModifiesState,
    '',
    'res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 ' +
    'pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf ' +
    'flags:flags32/hex/clone_flags uid:uint32 gid:uint32 vtid:pid vpid:pid pidns_init_start_ts:uint64'),
  ev('vfork', 'process', F.ModifiesState,
    '',
    'res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 ' +
    'pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf ' +
    'flags:flags32/hex/clone_flags uid:uint32 gid:uint32 vtid:pid vpid:pid pidns_init_start_ts:uint64'),
  ev('sendfile', 'io_write', F.UsesFd, 'out_fd:fd in_fd:fd offset:uint64 size:uint64', 'res:errno offset:uint64'),
  ev('quotactl', 'user', 0,
    'cmd:flags16/quotactl_cmds type:flags8/quotactl_types id:uint32 quota_fmt:flags8/quotactl_quota_fmts',
    'res:errno special:charbuf quotafilepath:charbuf dqb_bhardlimit:uint64 dqb_bsoftlimit:uint64 ' +
    'dqb_curspace:uint64 dqb_ihardlimit:uint64 dqb_isoftlimit:uint64 dqb_btime:reltime dqb_itime:reltime ' +
    'dqi_bgrace:reltime dqi_igrace:reltime dqi_flags:flags8/quotactl_dqi_flags ' +
    'quota_fmt_out:flags8/quotactl_quota_fmts'),
  ev('setresuid', 'user', F.ModifiesState, 'ruid:uid euid:uid suid:uid', 'res:errno'),
  ev('setresgid', 'user', F.ModifiesState, 'rgid:gid egid:gid sgid:gid', 'res:errno'),
  ev('sysdigevent', 'internal', 0, 'event_type:uint32 event_data:uint64', ''),
  ev('setuid', 'user', F.ModifiesState, 'uid:uid', 'res:errno'),
  ev('setgid', 'user', F.ModifiesState, 'gid:gid', 'res:errno'),
  ev('getuid', 'user', 0, '', 'uid:uid'),
  ev('geteuid', 'user', 0, '', 'euid:uid'),
  ev('getgid', 'user', 0, '', 'gid:gid'),
  ev('getegid', 'user', 0, '', 'egid:gid'),
  ev('getresuid', 'user', 0, '', 'res:errno ruid:uid euid:uid suid:uid'),
  ev('getresgid', 'user', 0, '', 'res:errno rgid:gid egid:gid sgid:gid'),
  ev('container', 'process', 0, 'json:charbuf', ''),
  ev('signaldeliver', 'signal', 0, 'spid:pid dpid:pid sig:sigtype', ''),
  ev('procinfo', 'internal', 0, 'cpu_usr:uint64 cpu_sys:uint64', ''),
  ev('getdents', 'file', F.UsesFd, 'fd:fd/na', 'res:errno'),
  ev('getdents64', 'file', F.UsesFd, 'fd:fd/na', 'res:errno'),
  ev('setns', 'process', F.UsesFd, 'fd:fd/na nstype:flags32/hex/clone_flags', 'res:errno'),
  ev('flock', 'file', F.UsesFd, 'fd:fd/na operation:flags32/hex/flock_flags', 'res:errno'),
  ev('cpu_hotplug', 'system', F.ModifiesState, 'cpu:uint32 action:uint32', ''),
  ev('semop', 'process', 0,
    'semid:int32',
    'res:errno nsops:uint32 sem_num_0:uint16 sem_op_0:int16 sem_flg_0:flags16/hex/semop_flags sem_num_1:uint16 ' +
    'sem_op_1:int16 sem_flg_1:flags16/hex/semop_flags'),
  ev('semctl', 'process', 0, 'semid:int32 semnum:int32 cmd:flags16/hex/semctl_commands val:int32', 'res:errno'),
  ev('ppoll', 'wait', F.Waits, 'fds:fdlist/dec timeout:reltime sigmask:sigset', 'res:errno fds:fdlist/dec'),
  ev('mount', 'file', F.ModifiesState,
    'flags:flags32/hex/mount_flags',
    'res:errno dev:charbuf dir:fspath type:charbuf'),
  ev('umount', 'file', F.ModifiesState, '', 'res:errno name:fspath'),
  ev('k8s', 'internal', F.ModifiesState, 'json:charbuf', ''),
  ev('semget', 'process', 0, 'key:int32/hex nsems:int32 semflg:flags32/hex/semget_flags', 'res:errno'),
  ev('access', 'file', 0, 'mode:flags32/hex/access_flags', 'res:errno name:fspath'),
  ev('chroot', 'process', F.ModifiesState, '', 'res:errno path:fspath'),
  ev('tracer', 'other', 0,
    'id:int64 tags:charbufarray args:charbuf_pair_array',
    'id:int64 tags:charbufarray args:charbuf_pair_array'),
  ev('mesos', 'internal', F.ModifiesState, 'json:charbuf', ''),
  ev('setsid', 'process', F.ModifiesState, '', 'res:pid'),
  ev('notification', 'other', 0, 'id:charbuf/dec desc:charbuf', ''),
  ev('unshare', 'process', 0, 'flags:flags32/hex/clone_flags', 'res:errno'),
  ev('infra', 'internal', 0, 'source:charbuf/dec name:charbuf description:charbuf scope:charbuf', ''),
  ev('page_fault', 'other', 0, 'addr:uint64/hex ip:uint64/hex error:flags32/hex/pf_flags', ''),
  ev('setpgid', 'process', F.ModifiesState, 'pid:pid pgid:pid', 'res:pid'),
  ev('bpf', 'other', F.CreatesFd, 'cmd:int64', 'fd:fd cmd:int32'),
  ev('seccomp', 'other', 0, 'op:uint64', 'res:errno'),
  ev('mkdirat', 'file', 0, '', 'res:errno dirfd:fd path:fsrelpath@1 mode:uint32/hex'),
  ev('fchmodat', 'file', 0, '', 'res:errno dirfd:fd filename:fsrelpath@1 mode:mode/oct/chmod_mode'),
  ev('chmod', 'file', 0, '', 'res:errno filename:fspath mode:mode/oct/chmod_mode'),
  ev('fchmod', 'file', 0, '', 'res:errno fd:fd mode:mode/oct/chmod_mode'),
  ev('renameat2', 'file', 0,
    '',
    'res:errno olddirfd:fd oldpath:fsrelpath@1 newdirfd:fd newpath:fsrelpath@3 flags:flags32/hex/renameat2_flags'),
  ev('userfaultfd', 'file', F.CreatesFd | F.ModifiesState, '', 'res:errno flags:flags32/hex/file_flags'),
  ev('pluginevent', 'other', 0, 'plugin_id:uint32 event_data:bytebuf', ''),
  ev('openat2', 'file', F.CreatesFd | F.ModifiesState,
    'dirfd:fd name:fsrelpath@1 flags:flags32/hex/file_flags mode:uint32/oct resolve:flags32/hex/openat2_flags',
    'fd:fd dirfd:fd name:fsrelpath@1 flags:flags32/hex/file_flags mode:uint32/oct resolve:flags32/hex/openat2_flags'),
  ev('mprotect', 'memory', 0, 'addr:uint64/hex length:uint64 prot:flags32/hex/prot_flags', 'res:errno'),
  ev('execveat', 'process', F.ModifiesState,
    'dirfd:fd pathname:fsrelpath@0 flags:flags32/hex/execveat_flags',
    'res:errno exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:uint64 pgft_maj:uint64 ' +
    'pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf env:bytebuf ' +
    'tty:uint32 pgid:pid loginuid:uid flags:flags32/hex/execve_flags cap_inheritable:uint64/hex ' +
    'cap_permitted:uint64/hex cap_effective:uint64/hex exe_ino:uint64 exe_ino_ctime:abstime exe_ino_mtime:abstime ' +
    'uid:uid trusted_exepath:fspath'),
  ev('copy_file_range', 'file', F.UsesFd | F.ReadsFromFd | F.WritesToFd,
    'fdin:fd offin:uint64 len:uint64',
    'res:errno fdout:fd offout:uint64'),
  ev('clone3', 'process', F.ModifiesState,
    '',
    'res:pid exe:charbuf args:bytebuf tid:pid pid:pid ptid:pid cwd:charbuf fdlimit:int64 pgft_maj:uint64 ' +
    'pgft_min:uint64 vm_size:uint32 vm_rss:uint32 vm_swap:uint32 comm:charbuf cgroups:bytebuf ' +
    'flags:flags32/hex/clone_flags uid:uint32 gid:uint32 vtid:pid vpid:pid pidns_init_start_ts:uint64'),
  ev('open_by_handle_at', 'file', F.CreatesFd | F.ModifiesState,
    '',
    'fd:fd mountfd:fd flags:flags32/hex/file_flags path:fspath'),
  ev('io_uring_setup', 'io_other', F.CreatesFd | F.ModifiesState,
    '',
    'res:errno entries:uint32 sq_entries:uint32 cq_entries:uint32 flags:flags32/hex sq_thread_cpu:uint32 ' +
    'sq_thread_idle:uint32 features:flags32/hex'),
  ev('io_uring_enter', 'io_other', F.UsesFd,
    '',
    'res:errno fd:fd to_submit:uint32 min_complete:uint32 flags:flags32/hex sig:sigset'),
  ev('io_uring_register', 'io_other', F.UsesFd,
    '',
    'res:errno fd:fd opcode:enumflags16 arg:uint64/hex nr_args:uint32'),
  ev('mlock', 'memory', 0, '', 'res:errno addr:uint64/hex len:uint64'),
  ev('munlock', 'memory', 0, '', 'res:errno addr:uint64/hex len:uint64'),
  ev('mlockall', 'memory', 0, '', 'res:errno flags:flags32/hex'),
  ev('munlockall', 'memory', 0, '', 'res:errno'),
  ev('capset', 'process', F.ModifiesState,
    '',
    'res:errno cap_inheritable:uint64/hex cap_permitted:uint64/hex cap_effective:uint64/hex'),
  ev('useradded', 'process', F.ModifiesState,
    'uid:uint32 gid:uint32 name:charbuf home:charbuf shell:charbuf container_id:charbuf',
    ''),
  ev('userdeleted', 'process', F.ModifiesState,
    'uid:uint32 gid:uint32 name:charbuf home:charbuf shell:charbuf container_id:charbuf',
    ''),
  ev('groupadded', 'process', F.ModifiesState, 'gid:uint32 name:charbuf container_id:charbuf', ''),
  ev('groupdeleted', 'process', F.ModifiesState, 'gid:uint32 name:charbuf container_id:charbuf', ''),
  ev('dup2', 'io_other', F.CreatesFd | F.UsesFd | F.ModifiesState, 'fd:fd', 'res:fd oldfd:fd newfd:fd'),
  ev('dup3', 'io_other', F.CreatesFd | F.UsesFd | F.ModifiesState,
    'fd:fd',
    'res:fd oldfd:fd newfd:fd flags:flags32/hex/file_flags'),
  ev('mlock2', 'memory', 0, '', 'res:errno addr:uint64/hex len:uint64 flags:uint32/hex'),
  ev('fsconfig', 'system', F.UsesFd,
    '',
    'res:errno fd:fd cmd:enumflags32 key:charbuf value_bytebuf:bytebuf value_charbuf:charbuf aux:int32'),
  ev('epoll_create', 'wait', F.CreatesFd | F.ModifiesState, 'size:int32', 'res:errno'),
  ev('epoll_create1', 'wait', F.CreatesFd | F.ModifiesState, 'flags:flags32/hex', 'res:errno'),
  ev('chown', 'file', 0, '', 'res:errno path:fspath uid:uint32 gid:uint32'),
  ev('lchown', 'file', 0, '', 'res:errno path:fspath uid:uint32 gid:uint32'),
  ev('fchown', 'file', F.UsesFd, '', 'res:errno fd:fd uid:uint32 gid:uint32'),
  ev('fchownat', 'file', 0, '', 'res:errno dirfd:fd pathname:fsrelpath@1 uid:uint32 gid:uint32 flags:flags32/hex'),
  ev('accept4', 'net', F.CreatesFd | F.ModifiesState,
    'flags:int32/hex',
    'fd:fd tuple:socktuple queuepct:uint8 queuelen:uint32 queuemax:uint32'),
  ev('umount2', 'file', F.ModifiesState, 'flags:flags32/hex/umount_flags', 'res:errno name:fspath'),
  ev('pipe2', 'IPC', F.CreatesFd | F.ModifiesState,
    '',
    'res:errno fd1:fd fd2:fd ino:uint64 flags:flags32/hex/file_flags'),
  ev('inotify_init1', 'IPC', F.CreatesFd | F.ModifiesState, '', 'res:fd flags:flags16/hex/file_flags'),
  ev('eventfd2', 'IPC', F.CreatesFd | F.ModifiesState, 'initval:uint64', 'res:fd flags:flags16/hex/file_flags'),
  ev('signalfd4', 'signal', F.CreatesFd | F.ModifiesState, 'fd:fd mask:uint32/hex', 'res:fd flags:flags16/hex'),
  ev('prctl', 'process', F.ModifiesState,
    '',
    'res:errno option:enumflags32/prctl_options arg2_str:charbuf arg2_int:int64'),
  ev('asyncevent', 'other', 0, 'plugin_id:uint32 name:charbuf data:bytebuf', ''),
  ev('memfd_create', 'memory', F.CreatesFd | F.ModifiesState,
    '',
    'fd:fd name:charbuf flags:flags32/hex/memfd_create_flags'),
  ev('pidfd_getfd', 'process', F.CreatesFd | F.ModifiesState, '', 'fd:fd pid_fd:fd target_fd:fd flags:flags32/hex'),
  ev('pidfd_open', 'process', F.CreatesFd | F.ModifiesState, '', 'fd:fd pid:pid flags:flags32/hex'),
  ev('init_module', 'other', 0, '', 'res:errno img:bytebuf length:uint64 uargs:charbuf'),
  ev('finit_module', 'other', F.UsesFd | F.ReadsFromFd, '', 'res:errno fd:fd uargs:charbuf flags:flags32'),
  ev('mknod', 'other', 0, '', 'res:errno path:fspath mode:mode/oct dev:uint32'),
  ev('mknodat', 'other', F.UsesFd, '', 'res:errno dirfd:fd path:fsrelpath@1 mode:mode/oct dev:uint32'),
  ev('newfstatat', 'file', F.UsesFd, '', 'res:errno dirfd:fd path:fsrelpath@1 flags:flags32/hex'),];

/**
 * Syscalls libsinsp reports through its generic event (no dedicated layout), as `name:category`, from libscap's
 * syscall table. Their codes follow DECLARED's.
 */
const GENERIC =
  '<unknown>:other restart_syscall:system exit:process time:time getpid:process alarm:time pause:wait utime:time sync:io_other ' +
  'times:time acct:process umask:process ustat:file getppid:process getpgrp:process sethostname:system ' +
  'getrusage:process gettimeofday:time settimeofday:time readlink:file uselib:process swapon:process ' +
  'reboot:system truncate:file ftruncate:file getpriority:process setpriority:process statfs:file fstatfs:file ' +
  'syslog:system setitimer:time getitimer:time uname:system vhangup:other wait4:wait swapoff:system ' +
  'sysinfo:system fsync:io_other setdomainname:system adjtimex:system delete_module:system getpgid:process ' +
  'sysfs:system personality:process msync:io_other getsid:process fdatasync:io_other sched_setparam:process ' +
  'sched_getparam:process sched_setscheduler:process sched_getscheduler:process sched_yield:sleep ' +
  'sched_get_priority_max:process sched_get_priority_min:process sched_rr_get_interval:process mremap:file ' +
  'rt_sigaction:signal rt_sigprocmask:signal rt_sigpending:signal rt_sigtimedwait:signal rt_sigqueueinfo:signal ' +
  'rt_sigsuspend:signal capget:process setreuid:user setregid:user getgroups:user setgroups:user setfsuid:user ' +
  'setfsgid:user pivot_root:process mincore:memory madvise:memory gettid:process setxattr:file lsetxattr:file ' +
  'fsetxattr:file getxattr:file lgetxattr:file fgetxattr:file listxattr:file llistxattr:file flistxattr:file ' +
  'removexattr:file lremovexattr:file fremovexattr:file sched_setaffinity:process sched_getaffinity:process ' +
  'set_thread_area:process get_thread_area:process io_setup:io_other io_destroy:io_other io_getevents:io_other ' +
  'io_submit:io_other io_cancel:io_other exit_group:io_other epoll_ctl:wait remap_file_pages:file ' +
  'set_tid_address:process timer_create:time timer_settime:time timer_gettime:time timer_getoverrun:time ' +
  'timer_delete:time clock_settime:time clock_gettime:time clock_getres:time clock_nanosleep:sleep utimes:file ' +
  'mq_open:IPC mq_unlink:IPC mq_timedsend:IPC mq_timedreceive:IPC mq_notify:IPC mq_getsetattr:IPC ' +
  'kexec_load:system waitid:wait add_key:system request_key:system keyctl:system ioprio_set:process ' +
  'ioprio_get:process inotify_add_watch:IPC inotify_rm_watch:IPC futimesat:file readlinkat:file faccessat:file ' +
  'pselect6:wait set_robust_list:process get_robust_list:process tee:IPC vmsplice:IPC getcpu:process ' +
  'epoll_pwait:wait utimensat:file timerfd_settime:time timerfd_gettime:time rt_tgsigqueueinfo:other ' +
  'perf_event_open:other fanotify_init:IPC prlimit64:process clock_adjtime:other syncfs:file msgsnd:IPC ' +
  'msgrcv:IPC msgget:IPC msgctl:IPC shmdt:IPC shmget:IPC shmctl:IPC statfs64:file fstatfs64:file fstatat64:file ' +
  'sendfile64:file ugetrlimit:process bdflush:other sigprocmask:signal ipc:IPC socketcall:net fcntl64:file ' +
  'newselect:wait sgetmask:signal ssetmask:signal sigpending:signal olduname:system signal:signal nice:process ' +
  'stime:time waitpid:wait pread64:file pwrite64:file arch_prctl:process shmat:IPC sigreturn:signal ' +
  'fallocate:io_other process_vm_readv:io_other process_vm_writev:io_other sigaltstack:io_other ' +
  'getrandom:io_other fadvise64:io_other ' +  '';

const GENERIC_ENTER = parseParams('ID:syscallid nativeID:uint16');
const GENERIC_EXIT = parseParams('ID:syscallid');

export const EVENT_TYPES: readonly EventTypeInfo[] = [
  ...DECLARED,
  ...GENERIC.trim().split(' ').map((item): Declared => {
    const [name, category] = item.split(':');
    return { name, category, flags: 0, generic: true, enter: GENERIC_ENTER, exit: GENERIC_EXIT };
  }),
].map((t, code) => ({ ...t, code }));

const BY_NAME = new Map(EVENT_TYPES.map((t) => [t.name, t]));

export function eventTypeByName(name: string): EventTypeInfo | undefined {
  return BY_NAME.get(name);
}

export function eventTypeByCode(code: number): EventTypeInfo | undefined {
  return EVENT_TYPES[code];
}

/** The parameter list of one direction of an event type. */
export function eventParams(type: EventTypeInfo, dir: 0 | 1): readonly ParamInfo[] {
  return dir === 0 ? type.enter : type.exit;
}
