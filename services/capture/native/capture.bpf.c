// SPDX-License-Identifier: GPL-2.0
/*
 * Peregrine's kernel side. CO-RE, built by clang against a vmlinux.h generated from the running kernel's BTF.
 *
 * Syscalls: one tp_btf/sys_exit program. On x86-64 the entry arguments are still in pt_regs at exit, so one exit
 * record carries both, as libsinsp's exit params do; a sys_enter program would only double the per-syscall cost.
 * (A successful execve replaces the registers: sched_process_exec reports it instead.) The `selection` map, written
 * from userspace, says per syscall number whether to emit and what to copy: an unselected syscall costs one array
 * lookup. Records are built in a per-CPU scratch buffer and copied into the ring without a wakeup; a wakeup is
 * forced only once `wakeup_bytes` wait, otherwise userspace drains on a timer (wakeups cost 4-7 us here).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "capture_abi.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct pg_config cfg = {};

#define SCRATCH_MASK 16383
#define SCRATCH_SIZE (SCRATCH_MASK + 1 + 4096 + 256)
#define NAME_MAX_CAP 256
#define PATH_DEPTH 24
#define CGROUP_DEPTH 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define AF_INET 2
#define AF_INET6 10

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 8 << 20); /* resized by userspace before load */
} rb SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, PG_MAX_SYSCALLS);
  __type(key, __u32);
  __type(value, struct pg_sc_spec);
} selection SEC(".maps");

/* Records the ring had no room for, per CPU. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} drops SEC(".maps");

struct scratch {
  char buf[SCRATCH_SIZE];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct scratch);
} scratch_map SEC(".maps");

/* Keeps the ABI structs in the object's BTF even where only casts use them, for the layout test. */
struct pg_hdr _pg_hdr_btf = {};
struct pg_syscall _pg_syscall_btf = {};
struct pg_exec _pg_exec_btf = {};
struct pg_fork _pg_fork_btf = {};
struct pg_exit _pg_exit_btf = {};

/* kernels before 6.15 call kernfs_node's parent `parent` */
struct kernfs_node___old {
  struct kernfs_node *parent;
};

static __always_inline void emit(void *data, __u32 size) {
  __u64 flags = BPF_RB_NO_WAKEUP;
  if (bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= cfg.wakeup_bytes) flags = BPF_RB_FORCE_WAKEUP;
  if (size > SCRATCH_MASK) size = SCRATCH_MASK;
  /* clang folds a plain clamp away; the verifier needs to see the bound on the register it passes */
  asm volatile("%[s] &= 16383" : [s] "+r"(size));
  if (bpf_ringbuf_output(&rb, data, size, flags) != 0) {
    __u32 zero = 0;
    __u64 *n = bpf_map_lookup_elem(&drops, &zero);
    if (n) *n += 1;
  }
}

static __always_inline void fill_hdr(struct pg_hdr *h, __u8 type, __u32 pid, __u32 tid) {
  h->type = type;
  h->version = PG_ABI_VERSION;
  h->cpu = bpf_get_smp_processor_id();
  h->pid = pid;
  h->tid = tid;
  h->ts = bpf_ktime_get_boot_ns();
}

static __always_inline char *scratch_buf(void) {
  __u32 zero = 0;
  struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
  return s ? s->buf : 0;
}

/* Walks run as bpf_loop callbacks: the verifier checks one iteration instead of every unrolled path. */
struct path_walk {
  __u32 off;
  struct dentry *dentry;
  struct vfsmount *vfsmnt;
  struct dentry *root_dentry;
  struct vfsmount *root_mnt;
};

static long path_step(__u32 i, struct path_walk *w) {
  char *buf = scratch_buf();
  if (!buf) return 1;
  /* locals, not w->…: CO-RE would try to relocate accesses to our own struct inside BPF_CORE_READ */
  struct dentry *dentry = w->dentry;
  struct vfsmount *vfsmnt = w->vfsmnt;
  if (dentry == w->root_dentry && vfsmnt == w->root_mnt) return 1;
  struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
  if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
    struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
    if (parent == mnt) {
      /* a file at the root of an internal mount (memfd): its own name is all the path there is */
      if (i == 0) {
        long n = bpf_probe_read_kernel_str(&buf[w->off & SCRATCH_MASK], NAME_MAX_CAP, BPF_CORE_READ(dentry, d_name.name));
        if (n > 0) w->off += n;
      }
      return 1;
    }
    w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
    w->vfsmnt = &parent->mnt;
    return 0;
  }
  struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
  if (parent == dentry) {
    /* a pseudo file (memfd): no parent, its own name is all the path there is */
    if (i == 0) {
      long n = bpf_probe_read_kernel_str(&buf[w->off & SCRATCH_MASK], NAME_MAX_CAP, BPF_CORE_READ(dentry, d_name.name));
      if (n > 0) w->off += n;
    }
    return 1;
  }
  const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
  long n = bpf_probe_read_kernel_str(&buf[w->off & SCRATCH_MASK], NAME_MAX_CAP, name);
  if (n <= 0) return 1;
  w->off += n;
  w->dentry = parent;
  return 0;
}

/* Copies path components leaf first, each NUL-terminated, stopping at the task's root (a container sees its own
 * paths) and crossing mount points. Returns the bytes written. */
static __always_inline __u32 walk_path(__u32 off, struct dentry *dentry, struct vfsmount *vfsmnt,
                                       struct dentry *root_dentry, struct vfsmount *root_mnt) {
  struct path_walk w = {.off = off, .dentry = dentry, .vfsmnt = vfsmnt, .root_dentry = root_dentry, .root_mnt = root_mnt};
  bpf_loop(PATH_DEPTH, path_step, &w, 0);
  return w.off - off;
}

struct cgroup_walk {
  __u32 off;
  struct kernfs_node *kn;
};

static long cgroup_step(__u32 i, struct cgroup_walk *w) {
  char *buf = scratch_buf();
  struct kernfs_node *kn = w->kn;
  if (!buf || !kn) return 1;
  struct kernfs_node *parent;
  if (bpf_core_field_exists(kn->__parent))
    parent = BPF_CORE_READ(kn, __parent);
  else
    parent = BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
  if (!parent) return 1; /* the root's name is empty */
  const char *name = BPF_CORE_READ(kn, name);
  long n = bpf_probe_read_kernel_str(&buf[w->off & SCRATCH_MASK], NAME_MAX_CAP, name);
  if (n <= 0) return 1;
  w->off += n;
  w->kn = parent;
  return 0;
}

static __always_inline __u32 walk_cgroup(__u32 off, struct task_struct *task) {
  struct cgroup_walk w = {.off = off, .kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn)};
  bpf_loop(CGROUP_DEPTH, cgroup_step, &w, 0);
  return w.off - off;
}

/* A global function: the verifier checks it once on its own instead of once per path through on_exec, which
 * keeps on_exec under the complexity limit with env capture on. Returns bytes copied to the scratch buffer at off. */
__noinline int copy_user_range(__u32 off, __u64 from, __u64 to, __u32 max) {
  char *buf = scratch_buf();
  if (!buf || to <= from) return 0;
  __u64 len = to - from;
  if (len > max) len = max;
  if (len > 4095) len = 4095;
  if (bpf_probe_read_user(&buf[off & SCRATCH_MASK], len & 4095, (void *)from) != 0) return 0;
  return len;
}

static __always_inline __u32 pid_nr_at(struct pid *pid, __u32 level) {
  if (!pid) return 0;
  return BPF_CORE_READ(pid, numbers[level & 7].nr);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) {
  __u32 pid = BPF_CORE_READ(p, tgid);
  if (pid == cfg.own_tgid) return 0;
  __u32 zero = 0;
  struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
  if (!s) return 0;
  char *buf = s->buf;
  struct pg_exec *r = (struct pg_exec *)buf;
  fill_hdr(&r->hdr, PG_REC_EXEC, pid, BPF_CORE_READ(p, pid));

  struct task_struct *leader = BPF_CORE_READ(p, group_leader);
  r->ppid = BPF_CORE_READ(p, real_parent, tgid);
  struct pid *tpid = BPF_CORE_READ(p, thread_pid);
  __u32 level = BPF_CORE_READ(tpid, level);
  r->vtid = pid_nr_at(tpid, level);
  r->vpid = pid_nr_at(BPF_CORE_READ(leader, thread_pid), level);
  r->pidns = BPF_CORE_READ(tpid, numbers[level & 7].ns, ns.inum);
  struct pid *sidp = BPF_CORE_READ(p, signal, pids[PIDTYPE_SID]);
  struct pid *pgidp = BPF_CORE_READ(p, signal, pids[PIDTYPE_PGID]);
  r->sid = pid_nr_at(sidp, 0);
  r->pgid = pid_nr_at(pgidp, 0);
  r->vpgid = pid_nr_at(pgidp, level);

  const struct cred *cred = BPF_CORE_READ(p, cred);
  r->uid = BPF_CORE_READ(cred, uid.val);
  r->gid = BPF_CORE_READ(cred, gid.val);
  r->euid = BPF_CORE_READ(cred, euid.val);
  r->egid = BPF_CORE_READ(cred, egid.val);
  /* kernel_cap_t is one u64 since 6.3 and two u32 before: the same 8 bytes on little-endian either way */
  bpf_probe_read_kernel(&r->cap_permitted, 8, &cred->cap_permitted);
  bpf_probe_read_kernel(&r->cap_effective, 8, &cred->cap_effective);
  bpf_probe_read_kernel(&r->cap_inheritable, 8, &cred->cap_inheritable);
  r->loginuid = BPF_CORE_READ(p, loginuid.val);

  struct tty_struct *tty = BPF_CORE_READ(p, signal, tty);
  r->tty = 0;
  if (tty) {
    __u32 major = BPF_CORE_READ(tty, driver, major);
    __u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
    r->tty = (major << 20) | minor;
  }
  r->start_ts = BPF_CORE_READ(leader, start_boottime);
  r->cgroup_id = bpf_get_current_cgroup_id();
  bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), p->comm);

  struct mm_struct *mm = BPF_CORE_READ(p, mm);
  struct file *exe = BPF_CORE_READ(mm, exe_file);
  struct inode *inode = BPF_CORE_READ(exe, f_inode);
  struct dentry *root_dentry = BPF_CORE_READ(p, fs, root.dentry);
  struct vfsmount *root_mnt = BPF_CORE_READ(p, fs, root.mnt);
  __u32 flags = 0;
  if (BPF_CORE_READ(inode, i_nlink) == 0) {
    char prefix[6] = {};
    bpf_probe_read_kernel(prefix, sizeof(prefix), BPF_CORE_READ(exe, f_path.dentry, d_name.name));
    if (prefix[0] == 'm' && prefix[1] == 'e' && prefix[2] == 'm' && prefix[3] == 'f' && prefix[4] == 'd' && prefix[5] == ':')
      flags |= PG_EXEC_MEMFD;
  }
  if (BPF_CORE_READ(inode, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC) {
    struct ovl_inode *oi = container_of(inode, struct ovl_inode, vfs_inode);
    flags |= BPF_CORE_READ(oi, __upperdentry) ? PG_EXEC_UPPER : PG_EXEC_LOWER;
  }
  r->flags = flags;

  __u32 off = sizeof(struct pg_exec);
  __u32 n = walk_path(off, BPF_CORE_READ(exe, f_path.dentry), BPF_CORE_READ(exe, f_path.mnt), root_dentry, root_mnt);
  r->exe_len = n;
  off += n;
  n = copy_user_range(off, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end), cfg.args_max) & 4095;
  r->args_len = n;
  off += n;
  n = 0;
  if (cfg.capture_env) n = copy_user_range(off, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end), cfg.env_max) & 4095;
  r->env_len = n;
  off += n;
  n = walk_cgroup(off, p);
  r->cgroup_len = n;
  off += n;
  n = walk_path(off, BPF_CORE_READ(p, fs, pwd.dentry), BPF_CORE_READ(p, fs, pwd.mnt), root_dentry, root_mnt);
  r->cwd_len = n;
  off += n;
  r->hdr.size = off;
  emit(buf, off);
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child) {
  __u32 ppid = BPF_CORE_READ(parent, tgid);
  if (ppid == cfg.own_tgid) return 0;
  struct pg_fork r = {};
  fill_hdr(&r.hdr, PG_REC_FORK, BPF_CORE_READ(child, tgid), BPF_CORE_READ(child, pid));
  r.hdr.size = sizeof(r);
  r.parent_pid = ppid;
  r.parent_tid = BPF_CORE_READ(parent, pid);
  struct pid *tpid = BPF_CORE_READ(child, thread_pid);
  __u32 level = BPF_CORE_READ(tpid, level);
  r.vtid = pid_nr_at(tpid, level);
  r.vpid = pid_nr_at(BPF_CORE_READ(child, group_leader, thread_pid), level);
  r.start_ts = BPF_CORE_READ(child, start_boottime);
  bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), child->comm);
  emit(&r, sizeof(r));
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead) {
  __u32 pid = BPF_CORE_READ(p, tgid);
  if (pid == cfg.own_tgid) return 0;
  struct pg_exit r = {};
  fill_hdr(&r.hdr, PG_REC_EXIT, pid, BPF_CORE_READ(p, pid));
  r.hdr.size = sizeof(r);
  r.code = BPF_CORE_READ(p, exit_code);
  r.group_dead = group_dead;
  emit(&r, sizeof(r));
  return 0;
}

static __always_inline struct file *fd_file(struct task_struct *t, __u64 fd) {
  struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
  if (fd >= BPF_CORE_READ(fdt, max_fds)) return 0;
  struct file **fds = BPF_CORE_READ(fdt, fd);
  struct file *f = 0;
  bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
  return f;
}

static __always_inline void fill_fd_info(struct pg_syscall *r, struct task_struct *t, __u64 fd) {
  struct file *f = fd_file(t, fd);
  if (!f) return;
  struct inode *inode = BPF_CORE_READ(f, f_inode);
  __u32 mode = BPF_CORE_READ(inode, i_mode);
  r->fd_mode = mode;
  r->ino = BPF_CORE_READ(inode, i_ino);
  r->dev = BPF_CORE_READ(inode, i_sb, s_dev);
  if ((mode & S_IFMT) != S_IFSOCK) return;
  struct socket *sock = BPF_CORE_READ(f, private_data);
  struct sock *sk = BPF_CORE_READ(sock, sk);
  if (!sk) return;
  __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
  r->sk_family = family;
  r->sk_type = BPF_CORE_READ(sk, sk_type);
  r->sk_proto = BPF_CORE_READ(sk, sk_protocol);
  if (family == AF_INET) {
    bpf_probe_read_kernel(r->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
    bpf_probe_read_kernel(r->daddr, 4, &sk->__sk_common.skc_daddr);
  } else if (family == AF_INET6) {
    bpf_probe_read_kernel(r->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
    bpf_probe_read_kernel(r->daddr, 16, &sk->__sk_common.skc_v6_daddr);
  } else {
    return;
  }
  r->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
  r->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

static __always_inline __u32 copy_mem(char *buf, __u32 off, __u8 kind, __u64 ptr, __u64 len) {
  if (!ptr) return 0;
  if (kind == PG_MEM_STR) {
    long n = bpf_probe_read_user_str(&buf[off & SCRATCH_MASK], PG_STR_MAX, (void *)ptr);
    return n > 0 ? n : 0;
  }
  if (kind == PG_MEM_BYTES) {
    if (len > PG_BYTES_MAX) len = PG_BYTES_MAX;
    if (len == 0) return 0;
    if (bpf_probe_read_user(&buf[off & SCRATCH_MASK], len & (PG_BYTES_MAX * 2 - 1), (void *)ptr) != 0) return 0;
    return len;
  }
  return 0;
}

/* A switch, not an index: the verifier cannot bound a computed index into args[]. */
static __always_inline __u64 arg_at(struct pg_syscall *r, __u32 i) {
  switch (i) {
  case 0: return r->args[0];
  case 1: return r->args[1];
  case 2: return r->args[2];
  case 3: return r->args[3];
  case 4: return r->args[4];
  default: return r->args[5];
  }
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret) {
  __u32 nr = regs->orig_ax;
  struct pg_sc_spec *spec = bpf_map_lookup_elem(&selection, &nr);
  if (!spec || !spec->selected) return 0;
  __u64 id = bpf_get_current_pid_tgid();
  __u32 pid = id >> 32;
  if (pid == cfg.own_tgid) return 0;
  __u32 zero = 0;
  struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
  if (!s) return 0;
  char *buf = s->buf;
  struct pg_syscall *r = (struct pg_syscall *)buf;
  __builtin_memset(r, 0, sizeof(*r));
  fill_hdr(&r->hdr, PG_REC_SYSCALL, pid, (__u32)id);
  r->ret = ret;
  r->nr = nr;
  r->args[0] = regs->di;
  r->args[1] = regs->si;
  r->args[2] = regs->dx;
  r->args[3] = regs->r10;
  r->args[4] = regs->r8;
  r->args[5] = regs->r9;

  __u8 fd_src = spec->fd_src;
  if (fd_src != PG_FD_NONE) {
    __u64 fd = fd_src == PG_FD_RET ? (__u64)ret : arg_at(r, fd_src - 1);
    if ((__s64)fd >= 0) fill_fd_info(r, bpf_get_current_task_btf(), fd);
  }

  __u32 off = sizeof(struct pg_syscall);
  for (int i = 0; i < 2; i++) {
    __u8 kind = spec->mem_kind[i];
    if (kind == PG_MEM_NONE) continue;
    __u8 la = spec->len_arg[i];
    __u64 len = la == PG_LEN_FIXED ? spec->fixed_len[i] : arg_at(r, la);
    __u32 n = copy_mem(buf, off, kind, arg_at(r, spec->mem_arg[i]), len);
    r->mem_len[i] = n;
    off += n;
  }
  r->hdr.size = off;
  emit(buf, off);
  return 0;
}
