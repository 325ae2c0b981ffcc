/**
 * The enrichment stage: fills each batch's container records from the metadata cache and stamps the cluster name.
 *
 * A container not seen before holds its batch for at most `metadataWaitMs` from its first sighting, then passes with
 * what is known: nothing is dropped. Batches leave in the order they came, so a waiting batch holds later ones too.
 * Late and missing metadata are counted.
 */
import { MetadataState, type EventBatch } from '@peregrine/event';
import type { BatchStage, HandlerContext, Logger, StageInit } from '@peregrine/runtime';
import { MetadataCache, type CacheEntry } from './cache.ts';
import { parseConfig, type EnrichmentConfig } from './config.ts';
import { dedupeContainers, fillContainer } from './batch-fill.ts';
import type { MetadataSource } from './metadata.ts';
import { createSources, type StartedSources } from './sources/index.ts';

export interface EnrichmentStageOptions {
  /** Sources to use instead of those the config names (tests, embedding). */
  sources?: MetadataSource[];
}

type Counter = ReturnType<StageInit['metrics']['counter']>;
type Gauge = ReturnType<StageInit['metrics']['gauge']>;

interface Metrics {
  waits: Counter;
  missing: Counter;
  late: Counter;
  incomplete: Counter;
  evicted: Counter;
  sourceErrors: Counter;
  relists: Counter;
  containers: Gauge;
}

export class EnrichmentStage implements BatchStage {
  readonly kind = 'batch' as const;
  readonly name = 'enrichment';
  private config!: EnrichmentConfig;
  private cache!: MetadataCache;
  private metrics!: Metrics;
  private logger!: Logger;
  private started: StartedSources | undefined;
  private waitMs = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly options: EnrichmentStageOptions = {}) {}

  async init(init: StageInit): Promise<void> {
    this.config = parseConfig(init.config);
    this.logger = init.logger;
    this.metrics = registerMetrics(init);
    const sources = this.options.sources;
    const names = sources ? sources.map((s) => s.name) : this.config.sources;
    // Only the Kubernetes-backed sources know pods; with none of them, any source's answer is all there is.
    const completeSources = new Set(names.filter((n) => n === 'kube' || n === 'central'));
    this.cache = new MetadataCache({
      maxEntries: this.config.maxContainers,
      exitGraceMs: this.config.exitGraceMs,
      completeSources,
      sourceOrder: names,
      onLate: () => this.metrics.late.inc(),
    });
    this.waitMs = names.length > 0 ? this.config.metadataWaitMs : 0;
    this.started = await createSources(this.config, init.node, this.cache, {
      explicit: sources,
      onError: (source, resource, err) => {
        this.metrics.sourceErrors.inc({ source, resource });
        this.logger.warn('metadata source error', { source, resource, error: (err as Error)?.message ?? String(err) });
      },
      onRelist: (source, resource, reason) => this.metrics.relists.inc({ source, resource, reason }),
    });
    const sweepEvery = Math.max(100, Math.min(this.config.exitGraceMs, 10_000));
    this.sweepTimer = setInterval(() => this.sweep(), sweepEvery);
    this.sweepTimer.unref();
  }

  handle(batch: EventBatch, ctx: HandlerContext): Promise<void> {
    batch.cluster = this.config.cluster;
    dedupeContainers(batch);
    // Deadlines start when the batch arrives, not when its turn in the ordered queue comes.
    const now = Date.now();
    let waitFor: CacheEntry[] | undefined;
    let deadline = 0;
    for (const c of batch.containers) {
      // A record that arrives complete (a replayed capture that carried its own metadata) is left as it is.
      if (c.metadata === MetadataState.Complete) continue;
      const e = this.cache.touch(c.id, now);
      if (e.firstSeenMs === now && !e.complete) this.lookup(c.id);
      const until = e.firstSeenMs + this.waitMs;
      if (!e.complete && until > now) {
        (waitFor ??= []).push(e);
        if (until > deadline) deadline = until;
      }
    }
    const run = this.tail.then(() => this.finish(batch, ctx, waitFor, deadline));
    this.tail = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.tail;
    await this.started?.stop();
  }

  /** Resolves once every source has read its initial state; the stage works before that too. */
  async sourcesSynced(): Promise<void> {
    await Promise.all(this.started?.sources.map((s) => s.synced()) ?? []);
  }

  /** The cache, for tests and the benchmark to inspect. */
  get metadata(): MetadataCache {
    return this.cache;
  }

  private async finish(batch: EventBatch, ctx: HandlerContext, waitFor: CacheEntry[] | undefined, deadline: number): Promise<void> {
    if (waitFor) {
      this.metrics.waits.inc();
      const left = deadline - Date.now();
      if (left > 0) await this.cache.waitForComplete(waitFor, left);
    }
    // Timers may fire a millisecond early by the wall clock: a batch that waited has reached its deadline.
    const now = Math.max(Date.now(), deadline);
    let incomplete = 0;
    for (const c of batch.containers) {
      if (c.metadata === MetadataState.Complete) continue;
      const e = this.cache.get(c.id);
      const waitedOut = e !== undefined && !e.complete && e.firstSeenMs + this.waitMs <= now;
      if (e && waitedOut && !e.missed && this.waitMs > 0) {
        e.missed = true;
        this.metrics.missing.inc();
      }
      if (!e?.complete) incomplete++;
      fillContainer(c, e, waitedOut && this.waitMs > 0);
    }
    if (incomplete > 0) this.metrics.incomplete.inc(undefined, incomplete);
    ctx.span.setAttribute('peregrine.enrichment.incomplete_containers', incomplete);
    ctx.emitBatch(batch);
  }

  private lookup(id: string): void {
    for (const s of this.started?.sources ?? []) s.lookup?.(id);
  }

  private sweep(): void {
    const n = this.cache.sweep();
    if (n > 0) this.metrics.evicted.inc(undefined, n);
    this.metrics.containers.set(this.cache.size);
  }
}

function registerMetrics(init: StageInit): Metrics {
  const m = init.metrics;
  return {
    waits: m.counter('peregrine_enrichment_waits_total', 'Batches held to wait for metadata of a new container'),
    missing: m.counter('peregrine_enrichment_metadata_missing_total', 'Containers whose events passed without complete metadata after the wait'),
    late: m.counter('peregrine_enrichment_metadata_late_total', 'Containers whose metadata arrived after their events had passed without it'),
    incomplete: m.counter('peregrine_enrichment_incomplete_records_total', 'Container records emitted without complete metadata'),
    evicted: m.counter('peregrine_enrichment_evicted_total', 'Cache entries evicted after container exit plus grace'),
    sourceErrors: m.counter('peregrine_enrichment_source_errors_total', 'Metadata source failures (each retried with backoff)', ['source', 'resource']),
    relists: m.counter('peregrine_enrichment_source_relists_total', 'Full list attempts by a metadata source (start, or after 410 Gone)', ['source', 'resource', 'reason']),
    containers: m.gauge('peregrine_enrichment_cache_containers', 'Containers in the metadata cache'),
  };
}
