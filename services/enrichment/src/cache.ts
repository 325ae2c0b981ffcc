/**
 * The container metadata cache: per container id, each source's view and their merge, plus what the stage needs to
 * bound waiting and memory. Entries are kept in least-recently-used order (Map insertion order, refreshed on use), so
 * the oldest is evicted first when `maxEntries` is reached; exited containers go after `exitGraceMs`.
 */
import { mergeMeta, type ContainerMeta, type MetadataSink } from './metadata.ts';

export interface CacheEntry {
  readonly id: string;
  merged: ContainerMeta | null;
  complete: boolean;
  /** Date.now() of the first batch that referenced the container; 0 until then. */
  firstSeenMs: number;
  /** The container passed a batch without complete metadata after its wait ran out. */
  missed: boolean;
  exitedAtMs: number;
  bySource: Map<string, ContainerMeta>;
  waiters: Array<() => void> | null;
}

export interface CacheOptions {
  maxEntries: number;
  exitGraceMs: number;
  /** Sources whose report makes an entry complete (the Kubernetes ones); empty: any source. */
  completeSources: ReadonlySet<string>;
  /** Source order for merging, first wins. */
  sourceOrder: readonly string[];
  /** Called when metadata becomes complete for a container that already passed without it. */
  onLate?: (id: string) => void;
  now?: () => number;
}

export class MetadataCache implements MetadataSink {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly now: () => number;

  constructor(private readonly opts: CacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): CacheEntry | undefined {
    return this.entries.get(id);
  }

  /** The entry for a container seen in a batch, created if new, marked most recently used. */
  touch(id: string, nowMs: number): CacheEntry {
    let e = this.entries.get(id);
    if (e) {
      this.entries.delete(id);
    } else {
      e = { id, merged: null, complete: false, firstSeenMs: 0, missed: false, exitedAtMs: 0, bySource: new Map(), waiters: null };
      this.makeRoom();
    }
    if (e.firstSeenMs === 0) e.firstSeenMs = nowMs;
    this.entries.set(id, e);
    return e;
  }

  put(source: string, id: string, meta: ContainerMeta): void {
    const e = this.touch(id, 0);
    e.bySource.set(source, meta);
    this.remerge(e);
  }

  drop(source: string, id: string): void {
    const e = this.entries.get(id);
    const last = e?.bySource.get(source);
    if (!e || !last) return;
    // Keep what was known: events from the container may still be in flight during the grace period.
    if (!last.exited) e.bySource.set(source, { ...last, exited: true });
    this.remerge(e);
    if (e.exitedAtMs === 0) e.exitedAtMs = this.now();
  }

  /** Resolves when every listed entry is complete, or after `timeoutMs`. */
  waitForComplete(entries: CacheEntry[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let pending = 0;
      const release: Array<() => void> = [];
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (timer) clearTimeout(timer);
        for (const r of release) r();
        resolve();
      };
      for (const e of entries) {
        if (e.complete) continue;
        pending++;
        const waiter = () => { if (--pending === 0) finish(); };
        (e.waiters ??= []).push(waiter);
        release.push(() => {
          const i = e.waiters?.indexOf(waiter) ?? -1;
          if (i >= 0) e.waiters!.splice(i, 1);
        });
      }
      if (pending === 0) return resolve();
      timer = setTimeout(finish, timeoutMs);
    });
  }

  /** Evicts containers that exited more than the grace period ago. */
  sweep(): number {
    const cutoff = this.now() - this.opts.exitGraceMs;
    let evicted = 0;
    for (const [id, e] of this.entries) {
      if (e.exitedAtMs !== 0 && e.exitedAtMs <= cutoff) {
        this.entries.delete(id);
        evicted++;
      }
    }
    return evicted;
  }

  private remerge(e: CacheEntry): void {
    const ordered: ContainerMeta[] = [];
    for (const s of this.opts.sourceOrder) {
      const m = e.bySource.get(s);
      if (m) ordered.push(m);
    }
    e.merged = mergeMeta(ordered);
    const wasComplete = e.complete;
    e.complete = this.opts.completeSources.size === 0
      ? e.bySource.size > 0
      : [...e.bySource.keys()].some((s) => this.opts.completeSources.has(s));
    if (e.merged?.exited && e.exitedAtMs === 0) e.exitedAtMs = this.now();
    if (e.merged && !e.merged.exited) e.exitedAtMs = 0;
    if (e.complete && !wasComplete) {
      if (e.missed) this.opts.onLate?.(e.id);
      const ws = e.waiters;
      e.waiters = null;
      if (ws) for (const w of ws) w();
    }
  }

  private makeRoom(): void {
    if (this.entries.size < this.opts.maxEntries) return;
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}
