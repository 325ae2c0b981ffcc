/**
 * A stand-in Kubernetes API server for the response actions: pods (GET, DELETE, merge PATCH) and NetworkPolicies
 * (POST) in the real API's paths and shapes, honouring `dryRun=All` (validate, answer, persist nothing) as the
 * real server does. Every request is recorded. The shared stand-in (tests/support) has no NetworkPolicies and does
 * not honour dry-run, which is exactly what these tests check.
 */
import { createServer, type Server } from 'node:http';

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  body: unknown;
}

type Obj = Record<string, any>;

export class KubeResponseStandIn {
  readonly requests: Recorded[] = [];
  readonly pods = new Map<string, Obj>();
  readonly policies = new Map<string, Obj>();
  private server!: Server;
  port = 0;

  static async start(): Promise<KubeResponseStandIn> {
    const s = new KubeResponseStandIn();
    s.server = createServer((req, res) => {
      let text = '';
      req.on('data', (d) => { text += d; });
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://stand-in');
        const body = text ? JSON.parse(text) : undefined;
        const rec: Recorded = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams),
          contentType: String(req.headers['content-type'] ?? ''), body };
        s.requests.push(rec);
        const [status, out] = s.route(rec);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      });
    });
    await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', () => r()));
    s.port = (s.server.address() as { port: number }).port;
    return s;
  }

  addPod(namespace: string, name: string, labels: Record<string, string>): void {
    this.pods.set(`${namespace}/${name}`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, uid: `uid-${name}`, labels, resourceVersion: '1' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });
  }

  /** A kubeconfig pointing at this server, as a user would write one. */
  kubeconfig(): string {
    return [
      'apiVersion: v1', 'kind: Config', 'current-context: standin',
      'clusters:', `- name: standin`, `  cluster: { server: "http://127.0.0.1:${this.port}", insecure-skip-tls-verify: true }`,
      'users:', '- name: responder', '  user: { token: test-token }',
      'contexts:', '- name: standin', '  context: { cluster: standin, user: responder }', '',
    ].join('\n');
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private route(r: Recorded): [number, Obj] {
    const dry = r.query.dryRun === 'All';
    let m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(r.path);
    if (m) {
      const key = `${m[1]}/${m[2]}`;
      const pod = this.pods.get(key);
      if (!pod) return [404, status(404, 'NotFound', `pods "${m[2]}" not found`)];
      if (r.method === 'GET') return [200, pod];
      if (r.method === 'DELETE') {
        if (!dry) this.pods.delete(key);
        return [200, pod];
      }
      if (r.method === 'PATCH') {
        if (r.contentType !== 'application/merge-patch+json') return [415, status(415, 'UnsupportedMediaType', r.contentType)];
        const patched = structuredClone(pod);
        const labels = { ...patched.metadata.labels };
        for (const [k, v] of Object.entries((r.body as Obj)?.metadata?.labels ?? {})) {
          if (v === null) delete labels[k];
          else labels[k] = v;
        }
        patched.metadata.labels = labels;
        if (!dry) this.pods.set(key, patched);
        return [200, patched];
      }
    }
    m = /^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/networkpolicies$/.exec(r.path);
    if (m && r.method === 'POST') {
      const np = r.body as Obj;
      const key = `${m[1]}/${np.metadata.name}`;
      if (this.policies.has(key)) return [409, status(409, 'AlreadyExists', `networkpolicies "${np.metadata.name}" already exists`)];
      if (!dry) this.policies.set(key, np);
      return [201, np];
    }
    return [404, status(404, 'NotFound', r.path)];
  }
}

function status(code: number, reason: string, message: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
