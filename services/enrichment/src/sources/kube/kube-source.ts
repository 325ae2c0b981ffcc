/** The node's own view of the Kubernetes API: this node's pods, fed into the metadata cache. */
import { KubeConfig } from '@kubernetes/client-node';
import type { MetadataSink, MetadataSource } from '../../metadata.ts';
import type { KubeSettings } from '../../config.ts';
import { KubeWatcher } from './kube-watcher.ts';

export interface SourceHooks {
  onError?(source: string, resource: string, err: unknown): void;
  onRelist?(source: string, resource: string, reason: string): void;
}

export const KUBE_SOURCE = 'kube';

/** A KubeConfig from settings: an explicit API server URL (with optional token), a kubeconfig file, or in-cluster. */
export function kubeConfigOf(s: KubeSettings): KubeConfig {
  const kc = new KubeConfig();
  if (s.apiServer) {
    kc.loadFromOptions({
      clusters: [{ name: 'peregrine', server: s.apiServer, skipTLSVerify: s.insecureSkipTlsVerify, caFile: s.caFile || undefined }],
      users: [{ name: 'peregrine', token: s.token }],
      contexts: [{ name: 'peregrine', cluster: 'peregrine', user: 'peregrine' }],
      currentContext: 'peregrine',
    });
  } else if (s.kubeconfig) {
    kc.loadFromFile(s.kubeconfig);
  } else {
    kc.loadFromCluster();
  }
  return kc;
}

export class KubeSource implements MetadataSource {
  readonly name = KUBE_SOURCE;
  private watcher: KubeWatcher | undefined;

  constructor(private readonly settings: KubeSettings, private readonly node: string, private readonly hooks: SourceHooks = {}) {}

  async start(sink: MetadataSink): Promise<void> {
    this.watcher = new KubeWatcher({
      kubeConfig: kubeConfigOf(this.settings),
      node: this.node,
      owners: this.settings.watchOwners,
      backoff: this.settings.backoff,
      pageSize: this.settings.pageSize,
      watchTimeoutSeconds: this.settings.watchTimeoutSeconds,
      onChange: (_node, id, meta) => (meta ? sink.put(KUBE_SOURCE, id, meta) : sink.drop(KUBE_SOURCE, id)),
      onError: (resource, err) => this.hooks.onError?.(KUBE_SOURCE, resource, err),
      onRelist: (resource, reason) => this.hooks.onRelist?.(KUBE_SOURCE, resource, reason),
    });
    this.watcher.start();
  }

  /** Resolves once pods, namespaces (and owners) have been listed once. */
  synced(): Promise<void> {
    return this.watcher?.synced() ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.watcher?.stop();
  }
}
