/**
 * A stand-in Kubernetes API server for tests. No kube-apiserver runs here; this one speaks the parts of its HTTP
 * protocol that clients depend on:
 *  - list: `{kind}List` with `metadata.resourceVersion`, `limit`/`continue` paging, `fieldSelector`;
 *  - watch (`?watch=true&resourceVersion=N`): a chunked stream of one JSON event per line, ADDED/MODIFIED/DELETED,
 *    BOOKMARK when `allowWatchBookmarks=true`, and an ERROR event carrying a 410 Status when N is older than the
 *    retained history (after `compact()`), as etcd-backed servers do; `timeoutSeconds` ends the stream;
 *  - get/delete/patch/post of single objects under `/api/v1/namespaces/{ns}/pods/{name}` (and subresources), each
 *    recorded in `requests` so a test can see which actions a client took.
 *
 * Tests mutate the cluster with `upsert`/`remove`, cut every watch mid-stream with `dropWatches()`, lose history
 * with `compact()`, and stop/start the whole server with `restart()` (state survives, as etcd's would).
 *
 * `start({ tls: true, token })` serves HTTPS with a fresh self-signed certificate (`caFile`) and answers 401 to any
 * request without `Authorization: Bearer <token>`, as an API server does for a service account.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Resource = 'pods' | 'namespaces' | 'replicasets' | 'jobs';

interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; [k: string]: unknown };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface StandInOptions {
  tls?: boolean;
  token?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: string;
}

interface HistoryEntry {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: Resource;
  object: KubeObject;
  previous: KubeObject | undefined;
}

interface Watcher {
  resource: Resource;
  namespace: string | undefined;
  selector: FieldSelector;
  bookmarks: boolean;
  res: ServerResponse;
}

type FieldSelector = Array<{ field: string; value: string; negate: boolean }>;

const META: Record<Resource, { apiVersion: string; kind: string; prefix: string; namespaced: boolean }> = {
  pods: { apiVersion: 'v1', kind: 'Pod', prefix: '/api/v1', namespaced: true },
  namespaces: { apiVersion: 'v1', kind: 'Namespace', prefix: '/api/v1', namespaced: false },
  replicasets: { apiVersion: 'apps/v1', kind: 'ReplicaSet', prefix: '/apis/apps/v1', namespaced: true },
  jobs: { apiVersion: 'batch/v1', kind: 'Job', prefix: '/apis/batch/v1', namespaced: true },
};

const SELECTABLE: Record<string, (o: KubeObject) => string> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
  'spec.nodeName': (o) => String((o.spec as { nodeName?: string } | undefined)?.nodeName ?? ''),
};

export class KubeApiServerStandIn {
  readonly requests: RecordedRequest[] = [];
  /** Delays list answers per resource, as a slow or loaded API server would. */
  readonly listDelayMs: Partial<Record<Resource, number>> = {};
  private readonly objects = new Map<Resource, Map<string, KubeObject>>();
  private readonly history: HistoryEntry[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly sockets = new Set<Socket>();
  private rv = 100;
  /** Watches from a resourceVersion below this get 410 Gone. */
  private oldestRv = 100;
  private server: Server | undefined;
  private listenPort = 0;
  private readonly tls: { dir: string; key: Buffer; cert: Buffer } | undefined;

  private constructor(private readonly opts: StandInOptions) {
    for (const r of Object.keys(META) as Resource[]) this.objects.set(r, new Map());
    if (opts.tls) {
      const dir = mkdtempSync(join(tmpdir(), 'peregrine-kube-standin-'));
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.crt'), '-subj', '/CN=kube-apiserver-standin',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ], { stdio: 'ignore' });
      this.tls = { dir, key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.crt')) };
    }
  }

  static async start(opts: StandInOptions = {}): Promise<KubeApiServerStandIn> {
    const s = new KubeApiServerStandIn(opts);
    await s.listen();
    return s;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.listenPort}`;
  }

  /** The self-signed certificate clients must trust (TLS stand-ins only). */
  get caFile(): string {
    if (!this.tls) throw new Error('this stand-in serves plain HTTP');
    return join(this.tls.dir, 'ca.crt');
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Creates or replaces an object (apiVersion/kind/resourceVersion/uid are filled in) and notifies watchers. */
  upsert(resource: Resource, object: KubeObject): KubeObject {
    const key = keyOf(object);
    const previous = this.objects.get(resource)!.get(key);
    const stored: KubeObject = structuredClone(object);
    stored.apiVersion = META[resource].apiVersion;
    stored.kind = META[resource].kind;
    stored.metadata.uid ??= previous?.metadata.uid ?? `uid-${resource}-${key.replace('/', '-')}`;
    stored.metadata.resourceVersion = String(++this.rv);
    this.objects.get(resource)!.set(key, stored);
    this.record({ rv: this.rv, type: previous ? 'MODIFIED' : 'ADDED', resource, object: stored, previous });
    return stored;
  }

  /** Applies `change` to a copy of the stored object and stores that as a new version. */
  modify(resource: Resource, namespace: string | undefined, name: string, change: (o: KubeObject) => void): KubeObject {
    const current = this.get(resource, namespace, name);
    if (!current) throw new Error(`stand-in has no ${resource} ${namespace ?? ''}/${name}`);
    const next = structuredClone(current);
    change(next);
    return this.upsert(resource, next);
  }

  remove(resource: Resource, namespace: string | undefined, name: string): boolean {
    const key = namespace ? `${namespace}/${name}` : name;
    const previous = this.objects.get(resource)!.get(key);
    if (!previous) return false;
    this.objects.get(resource)!.delete(key);
    const gone: KubeObject = { ...structuredClone(previous) };
    gone.metadata.resourceVersion = String(++this.rv);
    this.record({ rv: this.rv, type: 'DELETED', resource, object: gone, previous });
    return true;
  }

  get(resource: Resource, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(resource)!.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks) continue;
      const { apiVersion, kind } = META[w.resource];
      writeEvent(w.res, 'BOOKMARK', { apiVersion, kind, metadata: { name: '', resourceVersion: String(this.rv) } });
    }
  }

  /** Cuts every open watch mid-stream (the connection is destroyed, no clean end). */
  dropWatches(): void {
    for (const w of this.watchers) w.res.socket?.destroy();
    this.watchers.clear();
  }

  /** Forgets the event history: clients resuming from an older resourceVersion get 410 Gone and must relist. */
  compact(): void {
    this.history.length = 0;
    this.oldestRv = this.rv;
  }

  /** Stops listening (every connection dropped), then serves again on the same port with the same objects. */
  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.listen(this.listenPort);
  }

  requestsMatching(method: string, pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
  }

  async close(): Promise<void> {
    await this.stop();
    if (this.tls) rmSync(this.tls.dir, { recursive: true, force: true });
  }

  private async stop(): Promise<void> {
    const srv = this.server;
    this.server = undefined;
    this.watchers.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
  }

  private async listen(port = 0): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => this.serve(req, res);
    const srv: Server = this.tls ? createTlsServer({ key: this.tls.key, cert: this.tls.cert }, handler) : createServer(handler);
    srv.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = srv.address();
    this.listenPort = typeof addr === 'object' && addr ? addr.port : port;
    this.server = srv;
  }

  private record(entry: HistoryEntry): void {
    this.history.push(entry);
    if (this.history.length > 10_000) this.history.splice(0, this.history.length - 10_000);
    for (const w of this.watchers) this.deliver(w, entry);
  }

  private deliver(w: Watcher, e: HistoryEntry): void {
    if (e.resource !== w.resource) return;
    if (w.namespace && e.object.metadata.namespace !== w.namespace) return;
    const now = matches(w.selector, e.object);
    const before = e.previous !== undefined && matches(w.selector, e.previous);
    // A selector turns a change in a selected field into an appearance or a disappearance, as the real server does.
    if (e.type === 'DELETED') {
      if (before) writeEvent(w.res, 'DELETED', e.object);
    } else if (now && before) writeEvent(w.res, 'MODIFIED', e.object);
    else if (now) writeEvent(w.res, 'ADDED', e.object);
    else if (before) writeEvent(w.res, 'DELETED', e.object);
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const query = Object.fromEntries(url.searchParams);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => { body += d; });
    req.on('end', () => {
      this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, body });
      if (this.opts.token !== undefined && req.headers.authorization !== `Bearer ${this.opts.token}`) {
        return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
      }
      try {
        this.route(req.method ?? 'GET', url.pathname, query, body, res);
      } catch (err) {
        sendStatus(res, 400, 'BadRequest', (err as Error).message);
      }
    });
  }

  private route(method: string, path: string, query: Record<string, string>, body: string, res: ServerResponse): void {
    const target = parsePath(path);
    if (!target) return sendStatus(res, 404, 'NotFound', `the server could not find the requested resource (${path})`);
    const { resource, namespace, name, subresource } = target;
    if (!name) {
      if (method !== 'GET') return sendStatus(res, 405, 'MethodNotAllowed', `${method} on a collection`);
      const selector = parseFieldSelector(query.fieldSelector ?? '', resource);
      if (query.watch === 'true' || query.watch === '1') return this.watch(resource, namespace, selector, query, res);
      const delay = this.listDelayMs[resource] ?? 0;
      if (delay > 0) return void setTimeout(() => this.list(resource, namespace, selector, query, res), delay);
      return this.list(resource, namespace, selector, query, res);
    }
    const current = this.get(resource, namespace, name);
    if (!current) return sendStatus(res, 404, 'NotFound', `${resource} "${name}" not found`);
    if (method === 'GET' && !subresource) return sendJson(res, 200, current);
    if (method === 'DELETE' && !subresource) {
      this.remove(resource, namespace, name);
      return sendJson(res, 200, current);
    }
    if (method === 'PATCH' && !subresource) {
      const patched = this.modify(resource, namespace, name, (o) => mergePatch(o, JSON.parse(body || '{}')));
      return sendJson(res, 200, patched);
    }
    if (method === 'POST' && subresource === 'eviction') {
      this.remove(resource, namespace, name);
      return sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 });
    }
    if (method === 'POST' && subresource) return sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
    return sendStatus(res, 405, 'MethodNotAllowed', `${method} ${path}`);
  }

  private list(resource: Resource, namespace: string | undefined, selector: FieldSelector, query: Record<string, string>, res: ServerResponse): void {
    const all = [...this.objects.get(resource)!.values()]
      .filter((o) => (!namespace || o.metadata.namespace === namespace) && matches(selector, o))
      .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    const limit = Number(query.limit ?? 0);
    let start = 0;
    let listRv = String(this.rv);
    if (query.continue) {
      const [rvText, offsetText] = Buffer.from(query.continue, 'base64url').toString().split(':');
      // An expired continue token is a 410, as when etcd compacted the snapshot it pointed into.
      if (Number(rvText) < this.oldestRv) return sendStatus(res, 410, 'Expired', 'The provided continue parameter is too old');
      start = Number(offsetText);
      listRv = rvText!;
    }
    const end = limit > 0 ? Math.min(all.length, start + limit) : all.length;
    const metadata: Record<string, unknown> = { resourceVersion: listRv };
    if (end < all.length) metadata.continue = Buffer.from(`${listRv}:${end}`).toString('base64url');
    const { apiVersion, kind } = META[resource];
    sendJson(res, 200, { apiVersion, kind: `${kind}List`, metadata, items: all.slice(start, end) });
  }

  private watch(resource: Resource, namespace: string | undefined, selector: FieldSelector, query: Record<string, string>, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    // The real server sends its headers at once, so a client knows the watch is open before any event.
    res.flushHeaders();
    const from = Number(query.resourceVersion ?? 0);
    if (query.resourceVersion && from < this.oldestRv) {
      writeEvent(res, 'ERROR', {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
        message: `too old resource version: ${from} (${this.oldestRv})`, reason: 'Expired', code: 410,
      } as unknown as KubeObject);
      res.end();
      return;
    }
    const w: Watcher = { resource, namespace, selector, bookmarks: query.allowWatchBookmarks === 'true', res };
    if (!query.resourceVersion) {
      // No resourceVersion: the current state as ADDED events, then changes.
      for (const o of this.objects.get(resource)!.values()) {
        if ((!namespace || o.metadata.namespace === namespace) && matches(selector, o)) writeEvent(res, 'ADDED', o);
      }
    } else {
      for (const e of this.history) if (e.rv > from) this.deliver(w, e);
    }
    this.watchers.add(w);
    const done = () => this.watchers.delete(w);
    res.on('close', done);
    const timeout = Number(query.timeoutSeconds ?? 0);
    if (timeout > 0) {
      const t = setTimeout(() => { done(); res.end(); }, timeout * 1000);
      res.on('close', () => clearTimeout(t));
    }
  }
}

function keyOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

function parsePath(path: string): { resource: Resource; namespace?: string; name?: string; subresource?: string } | undefined {
  for (const resource of Object.keys(META) as Resource[]) {
    const { prefix, namespaced } = META[resource];
    if (!path.startsWith(prefix + '/')) continue;
    const parts = path.slice(prefix.length + 1).split('/').filter(Boolean);
    if (parts[0] === resource) {
      if (namespaced && parts.length > 1) continue;
      return { resource, name: parts[1], subresource: parts[2] };
    }
    if (namespaced && parts[0] === 'namespaces' && parts[2] === resource) {
      return { resource, namespace: parts[1], name: parts[3], subresource: parts[4] };
    }
  }
  return undefined;
}

function parseFieldSelector(text: string, resource: Resource): FieldSelector {
  if (!text) return [];
  return text.split(',').map((term) => {
    const m = /^([a-zA-Z.]+)\s*(==|=|!=)\s*(.*)$/.exec(term.trim());
    if (!m || !SELECTABLE[m[1]!] || (m[1] === 'spec.nodeName' && resource !== 'pods')) {
      throw new Error(`field label not supported: ${term}`);
    }
    return { field: m[1]!, value: m[3]!, negate: m[2] === '!=' };
  });
}

function matches(selector: FieldSelector, o: KubeObject): boolean {
  for (const s of selector) if ((SELECTABLE[s.field]!(o) === s.value) === s.negate) return false;
  return true;
}

/** JSON merge patch (RFC 7386), which is what `kubectl patch --type merge` and label patches send. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof target[k] === 'object' && target[k] !== null) {
      mergePatch(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

function writeEvent(res: ServerResponse, type: string, object: KubeObject): void {
  if (!res.writableEnded) res.write(JSON.stringify({ type, object }) + '\n');
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}
