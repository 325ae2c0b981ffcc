/*
 * The kernel → userspace record layout: the single source of truth. Every field is fixed-width with explicit
 * padding; every record starts with `struct pg_hdr` (type byte, ABI version, total size). The TypeScript decoder
 * (src/abi.ts) mirrors these offsets and test/abi.test.ts checks them against the compiled object's BTF.
 * Variable-length data (paths, sockaddrs, args) follows the fixed part; its lengths are in the fixed part.
 */
#ifndef PG_CAPTURE_ABI_H
#define PG_CAPTURE_ABI_H

#define PG_ABI_VERSION 1

#define PG_REC_SYSCALL 1
#define PG_REC_EXEC 2
#define PG_REC_FORK 3
#define PG_REC_EXIT 4

/* How many syscall numbers the selection map covers (x86-64 uses < 460). */
#define PG_MAX_SYSCALLS 512

/* What a syscall spec asks the kernel to copy from user memory. */
#define PG_MEM_NONE 0
#define PG_MEM_STR 1   /* NUL-terminated string (path) */
#define PG_MEM_BYTES 2 /* bytes: length from another argument (capped) or a fixed length */

/* fd_src: which fd to look up for socket tuple and dev/ino. 1..6 = argument index + 1, 7 = the return value. */
#define PG_FD_NONE 0
#define PG_FD_RET 7

#define PG_LEN_FIXED 0xff

#define PG_STR_MAX 1024
#define PG_BYTES_MAX 128

/* Exec flags */
#define PG_EXEC_MEMFD 1
#define PG_EXEC_UPPER 2
#define PG_EXEC_LOWER 4

/* One entry per syscall number in the `selection` map, written by userspace (src/syscalls.ts). */
struct pg_sc_spec {
  __u8 selected;
  __u8 fd_src;
  __u8 mem_kind[2];
  __u8 mem_arg[2];
  __u8 len_arg[2];
  __u16 fixed_len[2];
};

/* Settings in .rodata, written before load. */
struct pg_config {
  __u32 own_tgid;       /* the capture process itself: never traced, or reading /proc would feed back */
  __u32 capture_env;    /* exec records carry the environment */
  __u64 wakeup_bytes;   /* force a wakeup once this much data waits in the ring */
  __u32 args_max;       /* cap on argv bytes copied at exec */
  __u32 env_max;
};

struct pg_hdr {
  __u8 type;
  __u8 version;
  __u16 size; /* of the whole record, data included */
  __u32 cpu;
  __u32 pid;  /* tgid */
  __u32 tid;
  __u64 ts;   /* CLOCK_BOOTTIME ns */
};

/* A syscall's exit, with the entry arguments (x86-64 keeps them in pt_regs at exit) and what the spec asked for. */
struct pg_syscall {
  struct pg_hdr hdr;
  __s64 ret;
  __u64 args[6];
  __u16 nr;
  __u16 mem_len[2];   /* bytes of data[0], data[1]; strings include their NUL */
  __u16 sk_family;    /* 0: fd_src was no socket */
  __u16 sk_type;
  __u16 sk_proto;
  __u16 sport;        /* host byte order */
  __u16 dport;
  __u8 saddr[16];     /* IPv4 in the first 4 bytes */
  __u8 daddr[16];
  __u64 ino;          /* of the fd_src file, 0 if none */
  __u32 dev;
  __u32 fd_mode;      /* i_mode of the fd_src file: S_IFSOCK, S_IFIFO, S_IFREG… */
  /* data[0] then data[1] */
};

/* A successful execve/execveat (sched_process_exec), with what /proc would otherwise tell. */
struct pg_exec {
  struct pg_hdr hdr;
  __u32 ppid;
  __u32 vpid;
  __u32 vtid;
  __u32 sid;
  __u32 pgid;
  __u32 vpgid;
  __u32 uid;
  __u32 gid;
  __u32 euid;
  __u32 egid;
  __u32 loginuid;
  __u32 tty;        /* new-style dev_t: major << 20 | minor, 0 for none */
  __u32 pidns;
  __u32 flags;      /* PG_EXEC_* */
  __u64 start_ts;   /* task start, CLOCK_BOOTTIME ns */
  __u64 cap_permitted;
  __u64 cap_effective;
  __u64 cap_inheritable;
  __u64 cgroup_id;
  char comm[16];
  __u16 exe_len;    /* exe path components, leaf first, each NUL-terminated */
  __u16 args_len;
  __u16 env_len;
  __u16 cgroup_len; /* cgroup v2 path components, leaf first, each NUL-terminated */
  __u16 cwd_len;    /* cwd components, leaf first */
  __u16 pad[3];
  /* exe, args, env, cgroup, cwd */
};

/* A new task (sched_process_fork): thread or process. */
struct pg_fork {
  struct pg_hdr hdr; /* pid/tid: the child */
  __u32 parent_pid;
  __u32 parent_tid;
  __u32 vpid;
  __u32 vtid;
  __u64 start_ts;
  char comm[16];
};

struct pg_exit {
  struct pg_hdr hdr;
  __s32 code;
  __u32 group_dead;
};

#endif
