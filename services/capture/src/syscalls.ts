/**
 * x86-64 syscalls Peregrine captures: number, the event type they report as (event-table.ts), and what the kernel
 * copies for them (`pg_sc_spec`: user memory and which fd to inspect for socket/dev/ino). Argument values are built
 * in decode.ts by parameter name, so the order always follows the event table.
 */
import { FD_RET, LEN_FIXED, MAX_SYSCALLS, Mem, SPEC_SIZE } from './abi.ts';

export interface MemSpec {
  kind: (typeof Mem)[keyof typeof Mem];
  arg: number;
  /** argument index holding the length, or LEN_FIXED with `fixedLen` */
  lenArg?: number;
  fixedLen?: number;
}

export interface SyscallDef {
  nr: number;
  /** event type name (evt.type) */
  event: string;
  /** 0 none, 1..6 argument index + 1, FD_RET: the return value */
  fdSrc: number;
  mem: readonly MemSpec[];
}

const str = (arg: number): MemSpec => ({ kind: Mem.Str, arg });
const bytes = (arg: number, lenArg: number): MemSpec => ({ kind: Mem.Bytes, arg, lenArg });
const fixed = (arg: number, len: number): MemSpec => ({ kind: Mem.Bytes, arg, lenArg: LEN_FIXED, fixedLen: len });
const a = (i: number) => i + 1;

const def = (nr: number, event: string, fdSrc = 0, ...mem: MemSpec[]): SyscallDef => ({ nr, event, fdSrc, mem });

export const SYSCALLS: readonly SyscallDef[] = [
  def(2, 'open', FD_RET, str(0)),
  def(257, 'openat', FD_RET, str(1)),
  def(437, 'openat2', FD_RET, str(1), fixed(2, 24)),
  def(85, 'creat', FD_RET, str(0)),
  def(3, 'close', 0),
  def(59, 'execve', 0, str(0)),
  def(322, 'execveat', 0, str(1)),
  def(41, 'socket', 0),
  def(42, 'connect', a(0), bytes(1, 2)),
  def(43, 'accept', FD_RET),
  def(288, 'accept4', FD_RET),
  def(49, 'bind', a(0), bytes(1, 2)),
  def(50, 'listen', a(0)),
  def(44, 'sendto', a(0), bytes(4, 5)),
  def(46, 'sendmsg', a(0)),
  def(45, 'recvfrom', a(0)),
  def(47, 'recvmsg', a(0)),
  def(53, 'socketpair', 0, fixed(3, 8)),
  def(22, 'pipe', 0, fixed(0, 8)),
  def(293, 'pipe2', 0, fixed(0, 8)),
  def(32, 'dup', 0),
  def(33, 'dup2', 0),
  def(292, 'dup3', 0),
  def(72, 'fcntl', 0),
  def(88, 'symlink', 0, str(0), str(1)),
  def(266, 'symlinkat', 0, str(0), str(2)),
  def(86, 'link', 0, str(0), str(1)),
  def(265, 'linkat', 0, str(1), str(3)),
  def(82, 'rename', 0, str(0), str(1)),
  def(264, 'renameat', 0, str(1), str(3)),
  def(316, 'renameat2', 0, str(1), str(3)),
  def(87, 'unlink', 0, str(0)),
  def(263, 'unlinkat', 0, str(1)),
  def(84, 'rmdir', 0, str(0)),
  def(83, 'mkdir', 0, str(0)),
  def(258, 'mkdirat', 0, str(1)),
  def(90, 'chmod', 0, str(0)),
  def(91, 'fchmod', 0),
  def(268, 'fchmodat', 0, str(1)),
  def(101, 'ptrace', 0),
  def(321, 'bpf', 0),
  def(175, 'init_module', 0, str(2)),
  def(313, 'finit_module', 0, str(1)),
  def(308, 'setns', 0),
  def(272, 'unshare', 0),
  def(105, 'setuid', 0),
  def(106, 'setgid', 0),
  def(117, 'setresuid', 0),
  def(119, 'setresgid', 0),
  def(126, 'capset', 0),
  def(323, 'userfaultfd', 0),
  def(319, 'memfd_create', 0, str(0)),
  def(56, 'clone', 0),
  def(435, 'clone3', 0, fixed(0, 8)), // struct clone_args begins with the u64 flags
  def(57, 'fork', 0),
  def(58, 'vfork', 0),
  def(80, 'chdir', 0, str(0)),
  def(81, 'fchdir', 0),
  def(161, 'chroot', 0, str(0)),
  def(165, 'mount', 0, str(0), str(1)),
  def(166, 'umount2', 0, str(0)),
  def(284, 'eventfd', 0),
  def(290, 'eventfd2', 0),
  def(282, 'signalfd', 0),
  def(289, 'signalfd4', 0),
  def(283, 'timerfd_create', 0),
  def(253, 'inotify_init', 0),
  def(294, 'inotify_init1', 0),
  def(1, 'write', 0),
  def(0, 'read', 0),
  def(39, 'getpid', 0),
];

export const SYSCALL_BY_NR: readonly (SyscallDef | undefined)[] = (() => {
  const t: (SyscallDef | undefined)[] = new Array(MAX_SYSCALLS).fill(undefined);
  for (const d of SYSCALLS) t[d.nr] = d;
  return t;
})();

/** Syscalls that keep the thread and fd tables right: always selected, whatever the rules need. */
export const STATE_EVENT_TYPES: readonly string[] = [
  'open', 'openat', 'openat2', 'creat', 'close', 'socket', 'connect', 'accept', 'accept4', 'bind', 'socketpair',
  'pipe', 'pipe2', 'dup', 'dup2', 'dup3', 'fcntl', 'clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'chdir',
  'fchdir', 'chroot', 'setuid', 'setgid', 'setresuid', 'setresgid', 'capset', 'mount', 'umount2', 'eventfd',
  'eventfd2', 'signalfd', 'signalfd4', 'timerfd_create', 'inotify_init', 'inotify_init1', 'memfd_create',
  'userfaultfd', 'bpf',
];

/** The event types of the upstream stable + incubating rules: the selection when evaluation does not answer. */
export const DEFAULT_RULE_EVENT_TYPES: readonly string[] = [
  'execve', 'execveat', 'open', 'openat', 'openat2', 'creat', 'connect', 'accept', 'accept4', 'listen', 'sendto',
  'sendmsg', 'recvfrom', 'recvmsg', 'socket', 'dup', 'dup2', 'dup3', 'symlink', 'symlinkat', 'link', 'linkat',
  'init_module', 'finit_module', 'ptrace', 'bpf', 'chmod', 'fchmod', 'fchmodat', 'rename', 'renameat', 'renameat2',
  'rmdir', 'unlink', 'unlinkat', 'mkdir', 'mkdirat', 'setns', 'setuid', 'unshare', 'userfaultfd', 'memfd_create',
];

/** The selection map's contents for a set of event type names (unknown names select nothing). */
export function selectionBuffer(eventTypes: Iterable<string>): { buffer: Buffer; selected: number } {
  const wanted = new Set(eventTypes);
  const buf = Buffer.alloc(MAX_SYSCALLS * SPEC_SIZE);
  let selected = 0;
  for (const d of SYSCALLS) {
    if (!wanted.has(d.event)) continue;
    const o = d.nr * SPEC_SIZE;
    buf[o] = 1;
    buf[o + 1] = d.fdSrc;
    d.mem.forEach((m, i) => {
      buf[o + 2 + i] = m.kind;
      buf[o + 4 + i] = m.arg;
      buf[o + 6 + i] = m.lenArg ?? LEN_FIXED;
      buf.writeUInt16LE(m.fixedLen ?? 0, o + 8 + 2 * i);
    });
    selected++;
  }
  return { buffer: buf, selected };
}

/** Every syscall number selected with no copying: the drain-throughput benchmark's setting. */
export function selectAllBuffer(): Buffer {
  const buf = Buffer.alloc(MAX_SYSCALLS * SPEC_SIZE);
  for (let nr = 0; nr < MAX_SYSCALLS; nr++) buf[nr * SPEC_SIZE] = 1;
  return buf;
}
