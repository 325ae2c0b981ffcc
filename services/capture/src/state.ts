/**
 * The thread table and the per-process fd tables: what `proc.*`, `thread.*`, `user.*`, `group.*` and `fd.*` read.
 * One ProcState per process (tgid); threads share it, as they share their fd table. Records are mutable; `version`
 * changes whenever a field a batch record copies changes, so a batch can tell when it needs a new record.
 */
import { FdRole, FdType, L4Proto, type FdInfo, type ProcessInfo } from '@peregrine/event';
import type { ContainerRef } from './container-id.ts';

let nextVersion = 1;
export const bump = (): number => nextVersion++;

/** An fd as the event model describes it, plus when it last changed and where the batcher last wrote it. */
export interface FdState extends FdInfo {
  version: number;
  /** batch bookkeeping (batcher.ts): the batch and index this state was last written to */
  batchSeq: number;
  batchIdx: number;
  batchVersion: number;
}

export function newFd(num: number, type: FdType, name: string): FdState {
  return {
    num, type, name, openFlags: 0, dev: 0, ino: 0, l4proto: L4Proto.Unknown, sip: '', sport: 0, dip: '', dport: 0,
    role: FdRole.None, version: bump(), batchSeq: -1, batchIdx: -1, batchVersion: 0,
  };
}

/**
 * A process as the event model describes it, less what a batch decides (record indices) and what is resolved when a
 * record is cut (user and group names), plus the live table's own state.
 */
export interface ProcState extends Omit<ProcessInfo, 'parent' | 'container' | 'user' | 'loginuser' | 'group' | 'homedir' | 'shell'> {
  /** CLOCK_BOOTTIME ns of the start, for the kill action's start-time check */
  startBootNs: bigint;
  container: ContainerRef | null;
  fds: Map<number, FdState>;
  version: number;
  /** Date.now() when the process exited, 0 while it runs */
  exitedAt: number;
  batchSeq: number;
  batchIdx: number;
  batchVersion: number;
}

export function newProc(pid: number): ProcState {
  return {
    pid, ppid: 0, vpid: pid, sid: 0, vpgid: 0, name: '', exe: '', exepath: '', args: [], env: null, cwd: '/', tty: 0,
    uid: 0, gid: 0, loginuid: -1, startTs: 0n, startBootNs: 0n, capPermitted: 0n, capEffective: 0n,
    capInheritable: 0n, flags: 0, pidns: 0, container: null, fds: new Map(), version: bump(), exitedAt: 0,
    batchSeq: -1, batchIdx: -1, batchVersion: 0,
  };
}

export interface TableCounters {
  procs: number;
  fds: number;
  created: number;
  pruned: number;
  /** evicted because the table was full (oldest exited first, then oldest) */
  evicted: number;
  /** events from processes the table did not know: filled from /proc or left partial */
  misses: number;
}

export class ProcTable {
  readonly procs = new Map<number, ProcState>();
  readonly counters: TableCounters = { procs: 0, fds: 0, created: 0, pruned: 0, evicted: 0, misses: 0 };

  constructor(
    private readonly maxProcs: number,
    private readonly maxFdsPerProc: number,
    /** how long an exited process stays resolvable (late events, ancestors of live children) */
    private readonly exitGraceMs: number,
  ) {}

  get(pid: number): ProcState | undefined {
    return this.procs.get(pid);
  }

  add(p: ProcState): ProcState {
    if (this.procs.size >= this.maxProcs) this.evictOne();
    this.procs.set(p.pid, p);
    this.counters.created++;
    return p;
  }

  setFd(p: ProcState, fd: FdState): void {
    if (!p.fds.has(fd.num) && p.fds.size >= this.maxFdsPerProc) return;
    p.fds.set(fd.num, fd);
  }

  private evictOne(): void {
    let victim: ProcState | undefined;
    for (const p of this.procs.values()) {
      if (p.exitedAt > 0) { victim = p; break; }
      victim ??= p;
    }
    if (victim) {
      this.procs.delete(victim.pid);
      this.counters.evicted++;
    }
  }

  /** Drops processes that exited more than the grace period ago. */
  prune(now: number): void {
    for (const [pid, p] of this.procs) {
      if (p.exitedAt > 0 && now - p.exitedAt > this.exitGraceMs) {
        this.procs.delete(pid);
        this.counters.pruned++;
      }
    }
    this.counters.procs = this.procs.size;
    let fds = 0;
    for (const p of this.procs.values()) fds += p.fds.size;
    this.counters.fds = fds;
  }
}
