/** Kernel constants → libscap's PPM encodings (flag-tables.ts), as libs' drivers translate them. */

const O = {
  WRONLY: 0o1, RDWR: 0o2, CREAT: 0o100, EXCL: 0o200, TRUNC: 0o1000, APPEND: 0o2000, NONBLOCK: 0o4000,
  DSYNC: 0o10000, DIRECT: 0o40000, LARGEFILE: 0o100000, DIRECTORY: 0o200000, CLOEXEC: 0o2000000, SYNC: 0o4010000,
  TMPFILE: 0o20200000,
} as const;

export const KERNEL_O_CREAT_WRONLY_TRUNC = O.CREAT | O.WRONLY | O.TRUNC;

export function openFlagsToPpm(k: number): number {
  let f = 0;
  const acc = k & 3;
  f |= acc === 0 ? 1 : acc === 1 ? 2 : 3;
  if (k & O.CREAT) f |= 4;
  if (k & O.APPEND) f |= 8;
  if ((k & O.SYNC) === O.SYNC) f |= 128;
  else if (k & O.DSYNC) f |= 16;
  if (k & O.EXCL) f |= 32;
  if (k & O.NONBLOCK) f |= 64;
  if (k & O.TRUNC) f |= 256;
  if (k & O.DIRECT) f |= 512;
  if ((k & O.TMPFILE) === O.TMPFILE) f |= 8192;
  else if (k & O.DIRECTORY) f |= 1024;
  if (k & O.LARGEFILE) f |= 2048;
  if (k & O.CLOEXEC) f |= 4096;
  return f;
}

const PTRACE: Record<number, number> = {
  0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 26, 13: 27, 14: 28, 15: 29, 16: 11, 17: 12, 18: 30,
  19: 31, 24: 13, 31: 36, 32: 37, 0x4200: 14, 0x4201: 15, 0x4202: 16, 0x4203: 17, 0x4204: 18, 0x4205: 19,
  0x4206: 20, 0x4207: 21, 0x4208: 22, 0x4209: 23, 0x420a: 24, 0x420b: 25,
};

export function ptraceRequestToPpm(k: number): number {
  return PTRACE[k] ?? 0;
}

/** Kernel dev_t (major << 20 | minor) → the userspace encoding libsinsp prints. */
export function kernelDevToUser(dev: number): number {
  const major = dev >>> 20;
  const minor = dev & 0xfffff;
  return ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

const CLONE: ReadonlyArray<readonly [kernel: number, ppm: number]> = [
  [0x400, 1], [0x200, 2], [0x80000000, 4], [0x08000000, 8], [0x40000000, 16], [0x00020000, 32], [0x20000000, 64],
  [0x04000000, 128], [0x8000, 256], [0x100000, 512], [0x2000, 1024], [0x800, 2048], [0x40000, 4096], [0x10000, 8192],
  [0x800000, 16384], [0x100, 32768], [0x10000000, 1048576], [0x200000, 8388608], [0x1000000, 16777216],
  [0x80000, 33554432], [0x4000, 134217728], [0x02000000, 268435456],
];

/** clone/unshare/setns CLONE_* bits → PPM clone_flags. */
export function cloneFlagsToPpm(k: number): number {
  let f = 0;
  for (const [kernel, ppm] of CLONE) if ((k & kernel) >>> 0 === kernel) f |= ppm;
  return f >>> 0;
}

const FCNTL: Record<number, number> = {
  0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 6: 8, 7: 9, 8: 10, 9: 12, 10: 13, 11: 15, 15: 21, 16: 22, 36: 30, 37: 31,
  38: 32, 1024: 23, 1025: 24, 1026: 27, 1030: 26, 1031: 28, 1032: 29,
};

/** fcntl commands → PPM fcntl_commands (UNKNOWN = 0). */
export function fcntlCmdToPpm(k: number): number {
  return FCNTL[k] ?? 0;
}
