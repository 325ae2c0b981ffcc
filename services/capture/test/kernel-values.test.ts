import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { flagValue, renderFlags, FLAG_TABLES } from '@peregrine/event';
import { cloneFlagsToPpm, fcntlCmdToPpm, kernelDevToUser, openFlagsToPpm, ptraceRequestToPpm } from '../src/kernel-values.ts';

// Kernel constants written out from <fcntl.h>, <sched.h>, <sys/ptrace.h> (x86-64)
const O_WRONLY = 0o1, O_RDWR = 0o2, O_CREAT = 0o100, O_TRUNC = 0o1000, O_CLOEXEC = 0o2000000, O_DIRECTORY = 0o200000;

describe('kernel values to libscap encodings', () => {
  it('open flags render as libsinsp prints them', () => {
    assert.equal(renderFlags(FLAG_TABLES.file_flags, openFlagsToPpm(O_WRONLY | O_CREAT | O_TRUNC)), 'O_TRUNC|O_CREAT|O_WRONLY');
    assert.equal(renderFlags(FLAG_TABLES.file_flags, openFlagsToPpm(0)), 'O_RDONLY');
    assert.equal(renderFlags(FLAG_TABLES.file_flags, openFlagsToPpm(O_RDWR | O_CLOEXEC)), 'O_RDWR|O_CLOEXEC');
    assert.equal(openFlagsToPpm(O_DIRECTORY) & flagValue('file_flags', 'O_DIRECTORY')!, flagValue('file_flags', 'O_DIRECTORY'));
  });

  it('ptrace requests, fcntl commands and clone flags', () => {
    assert.equal(ptraceRequestToPpm(16), flagValue('ptrace_requests', 'PTRACE_ATTACH'));
    assert.equal(ptraceRequestToPpm(4), flagValue('ptrace_requests', 'PTRACE_POKETEXT'));
    assert.equal(ptraceRequestToPpm(0x4206), flagValue('ptrace_requests', 'PTRACE_SEIZE'));
    assert.equal(fcntlCmdToPpm(1030), flagValue('fcntl_commands', 'F_DUPFD_CLOEXEC'));
    assert.equal(fcntlCmdToPpm(0), flagValue('fcntl_commands', 'F_DUPFD'));
    const CLONE_NEWNS = 0x20000, CLONE_NEWPID = 0x20000000, CLONE_NEWUSER = 0x10000000;
    assert.equal(renderFlags(FLAG_TABLES.clone_flags, cloneFlagsToPpm(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER)), 'CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUSER');
  });

  it('device numbers: kernel (major << 20 | minor) to the userspace encoding', () => {
    assert.equal(kernelDevToUser((136 << 20) | 3), (136 << 8) | 3); // /dev/pts/3
    assert.equal(kernelDevToUser((8 << 20) | 300), ((300 & 0xff) | (8 << 8) | ((300 & ~0xff) << 12)) >>> 0);
  });
});
