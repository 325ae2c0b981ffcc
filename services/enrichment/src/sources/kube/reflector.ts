/**
 * List + watch of one Kubernetes resource, kept in step through failures: resumes the watch from the last
 * resourceVersion it saw (events and BOOKMARKs), relists when the server answers 410 Gone (history compacted or a
 * continue token expired), backs off with full jitter while the API server is unreachable, and relists-then-diffs
 * so objects deleted while it was away are reported as deletions.
 */
import type { Watch } from '@kubernetes/client-node';

export interface ListedObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface ListPage<T> {
  items: T[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export interface ReflectorOptions<T extends ListedObject> {
  /** For logs and metrics: pods, namespaces… */
  resource: string;
  /** Collection path, e.g. /api/v1/pods */
  path: string;
  fieldSelector?: string;
  pageSize: number;
  /** Server-side watch timeout; the stream is re-opened from the resourceVersion after it. */
  watchTimeoutSeconds: number;
  backoff: Backoff;
  list(continueToken: string | undefined, limit: number): Promise<ListPage<T>>;
  watch: Watch;
  onUpsert(obj: T): void;
  /** `key` is "namespace/name" (or "name" for cluster-scoped objects). */
  onDelete(key: string): void;
  onSynced?(): void;
  onError?(err: unknown, phase: 'list' | 'watch'): void;
  onRelist?(reason: 'start' | 'gone'): void;
}

export function objectKey(o: ListedObject): string {
  const ns = o.metadata?.namespace;
  return ns ? `${ns}/${o.metadata?.name ?? ''}` : o.metadata?.name ?? '';
}

/** Full jitter: a uniform delay in [0.5, 1] × min(max, base × 2^attempt). */
export function backoffDelay(b: Backoff, attempt: number, random = Math.random): number {
  const ceiling = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}

interface WatchOutcome {
  events: number;
  gone: boolean;
  err: unknown;
}

export class Reflector<T extends ListedObject> {
  private rv = '';
  private keys = new Set<string>();
  private stopped = false;
  private abortWatch: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: ReflectorOptions<T>) {}

  get resourceVersion(): string {
    return this.rv;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abortWatch?.();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let reason: 'start' | 'gone' = 'start';
    while (!this.stopped) {
      let phase: 'list' | 'watch' = 'list';
      try {
        if (!this.rv) {
          this.opts.onRelist?.(reason);
          await this.relist();
          attempt = 0;
        }
        if (this.stopped) return;
        phase = 'watch';
        const began = Date.now();
        const out = await this.watchOnce();
        if (this.stopped) return;
        if (out.gone) {
          this.rv = '';
          reason = 'gone';
          continue;
        }
        if (out.err) throw out.err;
        // A stream that ends at once with nothing in it is a failure in disguise: back off rather than spin.
        if (out.events > 0 || Date.now() - began > 1000) attempt = 0;
        else await this.sleep(backoffDelay(this.opts.backoff, attempt++));
      } catch (err) {
        if (this.stopped) return;
        if (statusOf(err) === 410) {
          this.rv = '';
          reason = 'gone';
          continue;
        }
        this.opts.onError?.(err, phase);
        await this.sleep(backoffDelay(this.opts.backoff, attempt++));
      }
    }
  }

  private async relist(): Promise<void> {
    const seen = new Set<string>();
    let token: string | undefined;
    let rv = '';
    do {
      const page = await this.opts.list(token, this.opts.pageSize);
      if (this.stopped) return;
      for (const item of page.items) {
        seen.add(objectKey(item));
        this.opts.onUpsert(item);
      }
      rv ||= page.metadata?.resourceVersion ?? '';
      token = page.metadata?._continue || undefined;
    } while (token);
    for (const k of this.keys) if (!seen.has(k)) this.opts.onDelete(k);
    this.keys = seen;
    this.rv = rv;
    this.opts.onSynced?.();
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise((resolve) => {
      const out: WatchOutcome = { events: 0, gone: false, err: null };
      let settled = false;
      let idle: NodeJS.Timeout | undefined;
      let controller: AbortController | undefined;
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        this.abortWatch = undefined;
        controller?.abort();
        out.err = err ?? out.err;
        resolve(out);
      };
      // Guards against a half-open connection: no event (not even a BOOKMARK) for longer than the server timeout.
      const idleMs = this.opts.watchTimeoutSeconds * 1000 + 15_000;
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(() => finish(new Error(`${this.opts.resource} watch idle for ${idleMs} ms`)), idleMs);
      };
      this.abortWatch = () => finish(null);
      armIdle();
      const params: Record<string, string | number | boolean> = {
        resourceVersion: this.rv,
        allowWatchBookmarks: true,
        timeoutSeconds: this.opts.watchTimeoutSeconds,
      };
      if (this.opts.fieldSelector) params.fieldSelector = this.opts.fieldSelector;
      this.opts.watch
        .watch(this.opts.path, params, (type: string, obj: T & { code?: number }) => {
          if (settled) return;
          armIdle();
          out.events++;
          this.onEvent(type, obj, out);
        }, finish)
        .then((c) => {
          controller = c;
          if (settled) c.abort();
        }, finish);
    });
  }

  private onEvent(type: string, obj: T & { code?: number }, out: WatchOutcome): void {
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
        this.keys.add(objectKey(obj));
        this.opts.onUpsert(obj);
        break;
      case 'DELETED': {
        const key = objectKey(obj);
        this.keys.delete(key);
        this.opts.onDelete(key);
        break;
      }
      case 'BOOKMARK':
        break;
      case 'ERROR':
        if (obj.code === 410) out.gone = true;
        else out.err = new Error(`${this.opts.resource} watch error event: ${JSON.stringify(obj)}`);
        this.abortWatch?.();
        return;
      default:
        return;
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.rv = rv;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** The HTTP status carried by client-node's errors (ApiException.code, Watch's statusCode). */
function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  if (typeof e?.code === 'number') return e.code;
  return undefined;
}
