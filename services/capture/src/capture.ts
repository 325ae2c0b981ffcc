/**
 * One running capture: the driver, the thread/fd tables (seeded from /proc), the tracker and the batcher. The stage
 * (stage.ts) and the tests drive this.
 */
import type { EventBatch } from '@peregrine/event';
import { BatchBuilder, type BatcherOptions } from './batcher.ts';
import { DEFAULT_DRIVER_OPTIONS, Driver, type DriverOptions } from './driver.ts';
import { scanAll } from './proc-scan.ts';
import { ProcTable } from './state.ts';
import { selectionBuffer, STATE_EVENT_TYPES } from './syscalls.ts';
import { Tracker } from './tracker.ts';
import { UserDb } from './users.ts';

export interface CaptureOptions {
  node: string;
  driver?: Partial<DriverOptions>;
  batch?: Partial<Omit<BatcherOptions, 'node'>>;
  maxProcs?: number;
  maxFdsPerProc?: number;
  exitGraceMs?: number;
}

export interface CaptureStats {
  kernelDrops: number;
  kernelDropsPerCpu: number[];
  records: number;
  events: number;
  badRecords: number;
  batches: number;
  droppedBatches: number;
  droppedEvents: number;
  procs: number;
  fds: number;
  procMisses: number;
  procsEvicted: number;
  procsPruned: number;
}

export class Capture {
  readonly table: ProcTable;
  private readonly driver: Driver;
  private readonly batcher: BatchBuilder;
  private readonly tracker: Tracker;
  private pruneTimer: NodeJS.Timeout | null = null;
  private selected = 0;

  /** Loads and attaches the kernel side and scans /proc; events flow after `start`. */
  constructor(opts: CaptureOptions, publish: (batch: EventBatch) => Promise<void>) {
    this.driver = new Driver({ ...DEFAULT_DRIVER_OPTIONS, ...opts.driver });
    this.table = new ProcTable(opts.maxProcs ?? 65536, opts.maxFdsPerProc ?? 4096, opts.exitGraceMs ?? 5000);
    this.batcher = new BatchBuilder(
      { node: opts.node, maxEvents: opts.batch?.maxEvents ?? 1000, maxDelayMs: opts.batch?.maxDelayMs ?? 100, maxInFlight: opts.batch?.maxInFlight ?? 64 },
      this.table, new UserDb(this.table), publish,
    );
    this.tracker = new Tracker(this.table, this.batcher, process.pid);
  }

  /** Selects the rules' event types plus the state set, seeds the tables from /proc, and starts draining. */
  start(eventTypes: Iterable<string>): void {
    this.setEventTypes(eventTypes);
    // our own process is scanned too (never traced): children we start resolve their parent
    for (const p of scanAll()) this.table.add(p);
    this.driver.start((buf) => this.tracker.handle(buf));
    this.pruneTimer = setInterval(() => this.table.prune(Date.now()), 1000);
    this.pruneTimer.unref();
  }

  /** Re-applies the selection (rules reloaded); returns how many syscalls are now selected. */
  setEventTypes(eventTypes: Iterable<string>): number {
    const { buffer, selected } = selectionBuffer([...eventTypes, ...STATE_EVENT_TYPES]);
    this.driver.select(buffer);
    this.selected = selected;
    return selected;
  }

  get selectedSyscalls(): number {
    return this.selected;
  }

  /** Publishes what is buffered now. */
  flush(): void {
    this.batcher.flush();
  }

  stats(): CaptureStats {
    const perCpu = this.driver.drops();
    const t = this.tracker.counters;
    const b = this.batcher.counters;
    const c = this.table.counters;
    return {
      kernelDrops: perCpu.reduce((a, n) => a + n, 0), kernelDropsPerCpu: perCpu, records: t.records, events: t.events,
      badRecords: t.badRecords, batches: b.batches, droppedBatches: b.droppedBatches, droppedEvents: b.droppedEvents,
      procs: this.table.procs.size, fds: c.fds, procMisses: c.misses, procsEvicted: c.evicted, procsPruned: c.pruned,
    };
  }

  stop(): void {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.driver.close();
    this.batcher.flush();
  }
}
