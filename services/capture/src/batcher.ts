/**
 * Builds self-contained EventBatches: each event refers to the process, fd and container records it needs by index,
 * with one record per distinct state in a batch (a state's `version` tells when it changed mid-batch). Ancestors up
 * to `ANCESTRY` levels come along so `proc.aname[N]` resolves. A batch goes out every `maxEvents` events or
 * `maxDelayMs`, whichever first; with more than `maxInFlight` batches unacknowledged it is dropped and counted.
 */
import { emptyBatch, MetadataState, NO_REF, type ContainerInfo, type EventBatch, type FdInfo, type ProcessInfo, type SyscallEvent } from '@peregrine/event';
import type { ContainerRef } from './container-id.ts';
import type { FdState, ProcState, ProcTable } from './state.ts';
import type { UserDb } from './users.ts';

const ANCESTRY = 8;

export interface BatcherOptions {
  node: string;
  maxEvents: number;
  maxDelayMs: number;
  maxInFlight: number;
}

export interface BatcherCounters {
  batches: number;
  droppedBatches: number;
  droppedEvents: number;
}

export class BatchBuilder {
  readonly counters: BatcherCounters = { batches: 0, droppedBatches: 0, droppedEvents: 0 };
  private seq = 0;
  private batch: EventBatch;
  private containers = new Map<string, number>();
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly settled = (): void => { this.inFlight--; };
  private readonly flushOnTimer = (): void => this.flush();

  constructor(
    private readonly opts: BatcherOptions,
    private readonly table: ProcTable,
    private readonly users: UserDb,
    private readonly publish: (batch: EventBatch) => Promise<void>,
  ) {
    this.batch = emptyBatch(opts.node, this.seq);
  }

  addEvent(ev: SyscallEvent, p: ProcState, fd: FdState | undefined): void {
    ev.proc = this.procRef(p, 0);
    ev.fd = fd ? this.fdRef(fd) : NO_REF;
    this.batch.events.push(ev);
    if (this.batch.events.length >= this.opts.maxEvents) this.flush();
    else if (!this.timer) this.timer = setTimeout(this.flushOnTimer, this.opts.maxDelayMs);
  }

  flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const batch = this.batch;
    if (batch.events.length === 0) return;
    this.seq++;
    this.batch = emptyBatch(this.opts.node, this.seq);
    this.containers = new Map();
    if (this.inFlight >= this.opts.maxInFlight) {
      this.counters.droppedBatches++;
      this.counters.droppedEvents += batch.events.length;
      return;
    }
    this.inFlight++;
    this.counters.batches++;
    // the settle handlers keep only the count: the batch's events are garbage as soon as the publisher is done with
    // them, not once the whole drained buffer has been decoded (then most events outlived a scavenge)
    const events = batch.events.length;
    this.publish(batch).then(this.settled, () => { this.settled(); this.counters.droppedBatches++; this.counters.droppedEvents += events; });
  }

  private procRef(p: ProcState, depth: number): number {
    if (p.batchSeq === this.seq && p.batchVersion === p.version) return p.batchIdx;
    const parentState = p.ppid > 0 && p.ppid !== p.pid ? this.table.get(p.ppid) : undefined;
    const parent = parentState && depth < ANCESTRY ? this.procRef(parentState, depth + 1) : NO_REF;
    const user = this.users.user(p, p.uid);
    const loginUser = p.loginuid >= 0 ? this.users.user(p, p.loginuid) : undefined;
    const rec: ProcessInfo = {
      pid: p.pid, ppid: p.ppid, vpid: p.vpid, sid: p.sid, vpgid: p.vpgid, parent,
      container: p.container ? this.containerRef(p.container) : NO_REF,
      name: p.name, exe: p.exe, exepath: p.exepath, args: p.args, env: p.env, cwd: p.cwd, tty: p.tty, uid: p.uid,
      gid: p.gid, loginuid: p.loginuid, user: user?.name ?? '', loginuser: loginUser?.name ?? '',
      group: this.users.group(p, p.gid) ?? '', homedir: user?.home ?? '', shell: user?.shell ?? '',
      startTs: p.startTs, capPermitted: p.capPermitted, capEffective: p.capEffective, capInheritable: p.capInheritable,
      flags: p.flags, pidns: p.pidns,
    };
    p.batchSeq = this.seq;
    p.batchVersion = p.version;
    p.batchIdx = this.batch.procs.push(rec) - 1;
    return p.batchIdx;
  }

  private fdRef(fd: FdState): number {
    if (fd.batchSeq === this.seq && fd.batchVersion === fd.version) return fd.batchIdx;
    const rec: FdInfo = {
      num: fd.num, type: fd.type, name: fd.name, openFlags: fd.openFlags, dev: fd.dev, ino: fd.ino, l4proto: fd.l4proto,
      sip: fd.sip, sport: fd.sport, dip: fd.dip, dport: fd.dport, role: fd.role,
    };
    fd.batchSeq = this.seq;
    fd.batchVersion = fd.version;
    fd.batchIdx = this.batch.fds.push(rec) - 1;
    return fd.batchIdx;
  }

  private containerRef(c: ContainerRef): number {
    const known = this.containers.get(c.id);
    if (known !== undefined) return known;
    const rec: ContainerInfo = {
      id: c.id, type: c.type, name: '', image: '', imageRepository: '', imageTag: '', imageDigest: '', imageId: '',
      privileged: null, mounts: [], startTs: 0n, k8s: null, metadata: MetadataState.None,
    };
    const idx = this.batch.containers.push(rec) - 1;
    this.containers.set(c.id, idx);
    return idx;
  }
}
