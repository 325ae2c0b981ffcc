/**
 * Byte offsets of the records in native/capture_abi.h (the single source of truth). test/abi.test.ts checks every
 * offset here against the compiled object's BTF, so a change on one side without the other fails the suite.
 */
export const ABI_VERSION = 1;

export const RecordType = { Syscall: 1, Exec: 2, Fork: 3, Exit: 4 } as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export const MAX_SYSCALLS = 512;
export const SPEC_SIZE = 12;
export const Mem = { None: 0, Str: 1, Bytes: 2 } as const;
export const FD_RET = 7;
export const LEN_FIXED = 0xff;

export const ExecFlag = { Memfd: 1, Upper: 2, Lower: 4 } as const;

/** struct name → field name → byte offset, plus `size`. Record alignment in the batch buffer is 8. */
export const LAYOUT = {
  pg_hdr: { type: 0, version: 1, size: 2, cpu: 4, pid: 8, tid: 12, ts: 16, $size: 24 },
  pg_syscall: {
    ret: 24, args: 32, nr: 80, mem_len: 82, sk_family: 86, sk_type: 88, sk_proto: 90, sport: 92, dport: 94,
    saddr: 96, daddr: 112, ino: 128, dev: 136, fd_mode: 140, $size: 144,
  },
  pg_exec: {
    ppid: 24, vpid: 28, vtid: 32, sid: 36, pgid: 40, vpgid: 44, uid: 48, gid: 52, euid: 56, egid: 60, loginuid: 64,
    tty: 68, pidns: 72, flags: 76, start_ts: 80, cap_permitted: 88, cap_effective: 96, cap_inheritable: 104,
    cgroup_id: 112, comm: 120, exe_len: 136, args_len: 138, env_len: 140, cgroup_len: 142, cwd_len: 144, pad: 146, $size: 152,
  },
  pg_fork: { parent_pid: 24, parent_tid: 28, vpid: 32, vtid: 36, start_ts: 40, comm: 48, $size: 64 },
  pg_exit: { code: 24, group_dead: 28, $size: 32 },
  pg_sc_spec: { selected: 0, fd_src: 1, mem_kind: 2, mem_arg: 4, len_arg: 6, fixed_len: 8, $size: 12 },
} as const;
