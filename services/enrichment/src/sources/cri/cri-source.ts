/**
 * The container runtime's own view over its CRI socket (containerd, cri-o): container name, image, mounts, start
 * time, the privileged flag, and the pod identity from the sandbox's labels. Serves nodes whose API access is
 * restricted. Polls ListContainers, and looks up a container at once when the stage meets one it does not know.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { CriSettings } from '../../config.ts';
import { CriError } from '../../errors.ts';
import type { MetadataSink, MetadataSource } from '../../metadata.ts';
import type { SourceHooks } from '../kube/kube-source.ts';
import { metaFromCri, type CriContainerStatus, type CriSandboxStatus } from './cri-model.ts';

export const CRI_SOURCE = 'cri';

const PROTO = fileURLToPath(new URL('./cri-subset.proto', import.meta.url));

interface CriContainer {
  id: string;
  podSandboxId: string;
  state: string;
}

type Unary<Req, Res> = (req: Req, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Res) => void) => void;

interface RuntimeClient extends grpc.Client {
  Version: Unary<{ version: string }, { runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }>;
  ListContainers: Unary<{ filter?: { id?: string } }, { containers: CriContainer[] }>;
  ContainerStatus: Unary<{ containerId: string; verbose: boolean }, { status: CriContainerStatus | null; info: Record<string, string> }>;
  PodSandboxStatus: Unary<{ podSandboxId: string; verbose: boolean }, { status: CriSandboxStatus | null }>;
}

let runtimeServiceCtor: (new (address: string, creds: grpc.ChannelCredentials) => RuntimeClient) | undefined;

function runtimeService(): new (address: string, creds: grpc.ChannelCredentials) => RuntimeClient {
  if (!runtimeServiceCtor) {
    const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: { RuntimeService: typeof runtimeServiceCtor } } };
    runtimeServiceCtor = pkg.runtime.v1.RuntimeService;
  }
  return runtimeServiceCtor!;
}

/** A CRI RuntimeService client on a unix socket, with a deadline on every call and typed errors. */
export class CriClient {
  private readonly client: RuntimeClient;

  constructor(readonly socket: string, private readonly timeoutMs: number) {
    const Ctor = runtimeService();
    this.client = new Ctor(socket.startsWith('unix:') ? socket : `unix://${socket}`, grpc.credentials.createInsecure());
  }

  version() {
    return this.call('Version', { version: 'v1' });
  }

  async listContainers(id?: string): Promise<CriContainer[]> {
    return (await this.call('ListContainers', id ? { filter: { id } } : {})).containers ?? [];
  }

  containerStatus(containerId: string) {
    return this.call('ContainerStatus', { containerId, verbose: true });
  }

  async sandboxStatus(podSandboxId: string): Promise<CriSandboxStatus | undefined> {
    return (await this.call('PodSandboxStatus', { podSandboxId, verbose: false })).status ?? undefined;
  }

  close(): void {
    this.client.close();
  }

  private call<M extends 'Version' | 'ListContainers' | 'ContainerStatus' | 'PodSandboxStatus'>(
    method: M,
    req: Parameters<RuntimeClient[M]>[0],
  ): Promise<Parameters<Parameters<RuntimeClient[M]>[2]>[1]> {
    return new Promise((resolve, reject) => {
      const fn = this.client[method] as unknown as Unary<typeof req, Parameters<Parameters<RuntimeClient[M]>[2]>[1]>;
      fn.call(this.client, req, { deadline: Date.now() + this.timeoutMs }, (err, res) => {
        if (err) reject(new CriError(this.socket, method, err));
        else resolve(res);
      });
    });
  }
}

export class CriSource implements MetadataSource {
  readonly name = CRI_SOURCE;
  private client: CriClient | undefined;
  private sink: MetadataSink | undefined;
  /** Container id → state last reported, so unchanged containers cost no ContainerStatus call. */
  private readonly known = new Map<string, string>();
  private readonly sandboxes = new Map<string, CriSandboxStatus>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  private resolveSynced!: () => void;
  private readonly syncedPromise = new Promise<void>((r) => { this.resolveSynced = r; });

  constructor(private readonly settings: CriSettings, private readonly hooks: SourceHooks = {}) {}

  async start(sink: MetadataSink): Promise<void> {
    this.sink = sink;
    this.client = new CriClient(this.settings.socket, this.settings.timeoutMs);
    this.schedule(0);
  }

  synced(): Promise<void> {
    return this.syncedPromise;
  }

  /** The stage met a container it does not know: ask the runtime now rather than at the next poll. */
  lookup(id: string): void {
    if (this.known.has(id) || !this.client) return;
    void this.refresh(id).catch((err) => this.hooks.onError?.(CRI_SOURCE, 'containers', err));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
    this.client?.close();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => this.schedule(this.settings.pollIntervalMs));
    }, ms);
  }

  private async poll(): Promise<void> {
    try {
      const listed = await this.client!.listContainers();
      const seen = new Set<string>();
      for (const c of listed) {
        seen.add(c.id);
        if (this.known.get(c.id) !== c.state) await this.report(c);
      }
      for (const id of this.known.keys()) {
        if (seen.has(id)) continue;
        this.known.delete(id);
        this.sink!.drop(CRI_SOURCE, id);
      }
      const liveSandboxes = new Set(listed.map((c) => c.podSandboxId));
      for (const id of this.sandboxes.keys()) if (!liveSandboxes.has(id)) this.sandboxes.delete(id);
      this.resolveSynced();
    } catch (err) {
      if (!this.stopped) this.hooks.onError?.(CRI_SOURCE, 'containers', err);
    }
  }

  private async refresh(id: string): Promise<void> {
    const [c] = await this.client!.listContainers(id);
    if (c) await this.report(c);
  }

  private async report(c: CriContainer): Promise<void> {
    const { status, info } = await this.client!.containerStatus(c.id);
    if (!status || this.stopped) return;
    let sandbox = this.sandboxes.get(c.podSandboxId);
    if (!sandbox && c.podSandboxId) {
      sandbox = await this.client!.sandboxStatus(c.podSandboxId);
      if (sandbox) this.sandboxes.set(c.podSandboxId, sandbox);
    }
    this.known.set(c.id, c.state);
    this.sink!.put(CRI_SOURCE, c.id, metaFromCri(status, sandbox, info));
  }
}
