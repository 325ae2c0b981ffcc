/**
 * Central mode over NATS (the k8s-metacollector idea): one cluster-wide watcher keeps every node's container
 * metadata in a JetStream KV bucket under `<node>.<container id>`; each node's enricher watches only its own
 * `<node>.>` keys instead of watching the API server. All NATS code of the enrichment service is in this file.
 */
import { connect, type KV, type KvEntry, type NatsConnection, type QueuedIterator } from 'nats';
import { subjectToken } from '@peregrine/bus';
import type { CentralSettings, KubeSettings } from '../config.ts';
import { MetadataDecodeError } from '../errors.ts';
import type { ContainerMeta, MetadataSink, MetadataSource } from '../metadata.ts';
import { kubeConfigOf, type SourceHooks } from './kube/kube-source.ts';
import { KubeWatcher } from './kube/kube-watcher.ts';
import { backoffDelay, type Backoff } from './kube/reflector.ts';

export const CENTRAL_SOURCE = 'central';
const RETRY: Backoff = { baseMs: 250, maxMs: 10_000 };

/** KV keys allow [-/_=.a-zA-Z0-9]; node names are DNS names, container ids hex. */
export function centralKey(node: string, containerId: string): string {
  return `${subjectToken(node)}.${containerId}`;
}

export function encodeMeta(m: ContainerMeta): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ ...m, startTs: m.startTs.toString() }));
}

export function decodeMeta(key: string, data: Uint8Array): ContainerMeta {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(new TextDecoder().decode(data));
  } catch (err) {
    throw new MetadataDecodeError(key, `not JSON: ${(err as Error).message}`);
  }
  if (typeof o !== 'object' || o === null) throw new MetadataDecodeError(key, 'not an object');
  for (const f of ['name', 'image', 'imageRepository', 'imageTag', 'imageDigest', 'imageId', 'startTs'] as const) {
    if (typeof o[f] !== 'string') throw new MetadataDecodeError(key, `field ${f} is not a string`);
  }
  if (!Array.isArray(o.mounts)) throw new MetadataDecodeError(key, 'field mounts is not a list');
  if (!/^\d+$/.test(o.startTs as string)) throw new MetadataDecodeError(key, 'field startTs is not an integer');
  return { ...(o as unknown as ContainerMeta), startTs: BigInt(o.startTs as string), exited: o.exited === true };
}

/** A short JetStream timeout: a write lost in a server restart is retried sooner. */
async function openBucket(nc: NatsConnection, bucket: string): Promise<KV> {
  return nc.jetstream({ timeout: 2000 }).views.kv(bucket, { history: 1 });
}

async function connectWithRetry(url: string, name: string, stopped: () => boolean): Promise<NatsConnection | undefined> {
  for (let attempt = 0; !stopped(); attempt++) {
    try {
      return await connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    } catch {
      await new Promise((r) => setTimeout(r, backoffDelay(RETRY, attempt)));
    }
  }
  return undefined;
}

/** A node enricher's source: this node's keys of the bucket, kept current by a KV watch. */
export class CentralSource implements MetadataSource {
  readonly name = CENTRAL_SOURCE;
  private nc: NatsConnection | undefined;
  private watch: QueuedIterator<KvEntry> | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private resolveInitial!: () => void;
  private readonly initial = new Promise<void>((r) => { this.resolveInitial = r; });

  constructor(private readonly settings: CentralSettings, private readonly node: string, private readonly hooks: SourceHooks = {}) {}

  async start(sink: MetadataSink): Promise<void> {
    this.loop = this.run(sink);
  }

  /** Resolves once the bucket's current values for this node have been read. */
  synced(): Promise<void> {
    return this.initial;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    await this.nc?.close();
    await this.loop;
  }

  private async run(sink: MetadataSink): Promise<void> {
    this.nc = await connectWithRetry(this.settings.url, `peregrine-enrichment-${this.node}`, () => this.stopped);
    if (this.nc) void this.rewatchOnReconnect(this.nc);
    const prefix = `${subjectToken(this.node)}.`;
    let lastRevision = 0;
    for (let attempt = 0; this.nc && !this.stopped; attempt++) {
      try {
        const kv = await openBucket(this.nc, this.settings.bucket);
        // After the first snapshot, resume from the last revision seen: changes (deletes too) made meanwhile arrive.
        this.watch = await kv.watch({
          key: `${prefix}>`,
          initializedFn: () => this.resolveInitial(),
          ...(lastRevision > 0 ? { resumeFromRevision: lastRevision + 1 } : {}),
        });
        for await (const e of this.watch) {
          attempt = 0;
          lastRevision = e.revision;
          const id = e.key.slice(prefix.length);
          if (e.operation !== 'PUT') {
            sink.drop(CENTRAL_SOURCE, id);
            continue;
          }
          try {
            sink.put(CENTRAL_SOURCE, id, decodeMeta(e.key, e.value));
          } catch (err) {
            this.hooks.onError?.(CENTRAL_SOURCE, 'kv', err);
          }
        }
      } catch (err) {
        if (this.stopped) return;
        this.hooks.onError?.(CENTRAL_SOURCE, 'kv', err);
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, backoffDelay(RETRY, attempt)));
    }
  }

  /** A restarted server has lost the watch's ephemeral consumer without telling it: end the watch to re-create it. */
  private async rewatchOnReconnect(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) if (s.type === 'reconnect') this.watch?.stop();
  }
}

/**
 * The one cluster-wide watcher: every pod's containers written to the bucket under their node. Writes go through a
 * per-key latest-value queue, so a NATS outage delays updates but loses none, and a burst for one key writes once.
 */
export class CentralPublisher {
  private watcher: KubeWatcher | undefined;
  private nc: NatsConnection | undefined;
  private kv: KV | undefined;
  private readonly pending = new Map<string, Uint8Array | null>();
  private readonly live = new Set<string>();
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private reconciled = false;
  /** The first full list is done: only then is it known which keys are stale. */
  private listed = false;

  constructor(private readonly kube: KubeSettings, private readonly settings: CentralSettings, private readonly hooks: SourceHooks = {}) {}

  async start(): Promise<void> {
    this.watcher = new KubeWatcher({
      kubeConfig: kubeConfigOf(this.kube),
      owners: this.kube.watchOwners,
      backoff: this.kube.backoff,
      pageSize: this.kube.pageSize,
      watchTimeoutSeconds: this.kube.watchTimeoutSeconds,
      onChange: (node, id, meta) => this.enqueue(centralKey(node, id), meta ? encodeMeta(meta) : null),
      onError: (resource, err) => this.hooks.onError?.('central-publisher', resource, err),
      onRelist: (resource, reason) => this.hooks.onRelist?.('central-publisher', resource, reason),
    });
    this.watcher.start();
    void this.watcher.synced().then(() => {
      this.listed = true;
      this.wake?.();
    });
    this.loop = this.run();
  }

  /** Resolves once the API server was listed and everything listed is in the bucket. */
  async flushed(): Promise<void> {
    await this.watcher?.synced();
    while (!this.stopped && (this.pending.size > 0 || !this.reconciled)) await new Promise((r) => setTimeout(r, 10));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.watcher?.stop();
    await this.loop;
    await this.nc?.close();
  }

  private enqueue(key: string, value: Uint8Array | null): void {
    if (value) this.live.add(key);
    else this.live.delete(key);
    this.pending.set(key, value);
    this.wake?.();
  }

  private async run(): Promise<void> {
    this.nc = await connectWithRetry(this.settings.url, 'peregrine-enrichment-central', () => this.stopped);
    for (let attempt = 0; this.nc && !this.stopped;) {
      try {
        this.kv ??= await openBucket(this.nc, this.settings.bucket);
        if (!this.reconciled && this.listed) await this.reconcile(this.kv);
        for (const [key, value] of this.pending) {
          if (value) await this.kv.put(key, value);
          else await this.kv.delete(key);
          // Only forget the write if no newer value came in meanwhile.
          if (this.pending.get(key) === value) this.pending.delete(key);
        }
        attempt = 0;
        if (this.pending.size === 0) await new Promise<void>((r) => { this.wake = r; setTimeout(r, 200); });
      } catch (err) {
        if (this.stopped) return;
        this.hooks.onError?.('central-publisher', 'kv', err);
        await new Promise((r) => setTimeout(r, backoffDelay(RETRY, attempt++)));
      }
    }
  }

  /** After the first full list: delete keys a previous watcher left for containers that no longer exist. */
  private async reconcile(kv: KV): Promise<void> {
    const stale: string[] = [];
    for await (const key of await kv.keys()) if (!this.live.has(key) && !this.pending.has(key)) stale.push(key);
    for (const key of stale) await kv.delete(key);
    this.reconciled = true;
  }
}
