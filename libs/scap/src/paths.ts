/** The dirfd value meaning "relative to the cwd" in *at syscalls. */
export const AT_FDCWD = -100;
