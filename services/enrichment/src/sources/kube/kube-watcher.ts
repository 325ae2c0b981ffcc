/**
 * Watches the objects container metadata is built from: pods (those of one node, or all for the central
 * watcher), namespaces (their labels) and, to name the top workload, ReplicaSets and Jobs. Reports every change as
 * (node, container id, metadata | null when the container is gone).
 */
import { AppsV1Api, BatchV1Api, CoreV1Api, Watch, type KubeConfig, type V1Job, type V1Namespace, type V1OwnerReference, type V1Pod, type V1ReplicaSet } from '@kubernetes/client-node';
import type { ContainerMeta } from '../../metadata.ts';
import { containersOfPod, k8sInfoOf, type OwnerLookup } from './pod-model.ts';
import { Reflector, objectKey, type Backoff, type ListedObject } from './reflector.ts';

export interface KubeWatcherOptions {
  kubeConfig: KubeConfig;
  /** Only this node's pods (field selector spec.nodeName); undefined: every pod (the central watcher). */
  node?: string;
  /** Also watch ReplicaSets and Jobs to name Deployments and CronJobs. */
  owners: boolean;
  backoff: Backoff;
  pageSize: number;
  watchTimeoutSeconds: number;
  onChange(node: string, id: string, meta: ContainerMeta | null): void;
  onError?(resource: string, err: unknown): void;
  onRelist?(resource: string, reason: string): void;
}

interface PodState {
  pod: V1Pod;
  node: string;
  ids: Set<string>;
}

/** How long pods wait for the first list of namespaces and owners before being reported without them. */
const SUPPORT_WAIT_MS = 5000;

export class KubeWatcher implements OwnerLookup {
  private readonly pods = new Map<string, PodState>();
  private readonly nsLabels = new Map<string, Record<string, string>>();
  private readonly topOwners = new Map<string, { kind: string; name: string }>();
  private readonly reflectors: Reflector<ListedObject>[] = [];
  /** Resources listed at least once. */
  private readonly listed = new Set<string>();
  /** Until namespaces and owners are listed, pods are held back so their first report is whole. */
  private podsHeld = true;
  private supportTimer: NodeJS.Timeout | undefined;
  private readonly syncedPromise: Promise<void>;
  private resolveSynced!: () => void;

  constructor(private readonly opts: KubeWatcherOptions) {
    const kc = opts.kubeConfig;
    const core = kc.makeApiClient(CoreV1Api);
    const watch = new Watch(kc);
    const fieldSelector = opts.node ? `spec.nodeName=${opts.node}` : undefined;
    const common = { watch, backoff: opts.backoff, pageSize: opts.pageSize, watchTimeoutSeconds: opts.watchTimeoutSeconds };
    const hooks = (resource: string) => ({
      onSynced: () => this.synced1(resource),
      onError: (err: unknown) => opts.onError?.(resource, err),
      onRelist: (reason: string) => opts.onRelist?.(resource, reason),
    });
    this.add(new Reflector<V1Namespace>({
      ...common, ...hooks('namespaces'), resource: 'namespaces', path: '/api/v1/namespaces',
      list: (c, limit) => core.listNamespace({ _continue: c, limit }),
      onUpsert: (ns) => this.setNamespace(ns.metadata?.name ?? '', ns.metadata?.labels ?? {}),
      onDelete: (key) => this.setNamespace(key, {}),
    }));
    this.add(new Reflector<V1Pod>({
      ...common, ...hooks('pods'), resource: 'pods', path: '/api/v1/pods', fieldSelector,
      list: (c, limit) => core.listPodForAllNamespaces({ _continue: c, limit, fieldSelector }),
      onUpsert: (pod) => this.setPod(pod),
      onDelete: (key) => this.deletePod(key),
    }));
    if (opts.owners) {
      const apps = kc.makeApiClient(AppsV1Api);
      const batch = kc.makeApiClient(BatchV1Api);
      this.add(new Reflector<V1ReplicaSet>({
        ...common, ...hooks('replicasets'), resource: 'replicasets', path: '/apis/apps/v1/replicasets',
        list: (c, limit) => apps.listReplicaSetForAllNamespaces({ _continue: c, limit }),
        onUpsert: (rs) => this.setOwner('ReplicaSet', rs.metadata?.namespace ?? '', rs.metadata?.name ?? '', rs.metadata?.ownerReferences),
        onDelete: (key) => this.setOwner('ReplicaSet', ...splitKey(key), undefined),
      }));
      this.add(new Reflector<V1Job>({
        ...common, ...hooks('jobs'), resource: 'jobs', path: '/apis/batch/v1/jobs',
        list: (c, limit) => batch.listJobForAllNamespaces({ _continue: c, limit }),
        onUpsert: (job) => this.setOwner('Job', job.metadata?.namespace ?? '', job.metadata?.name ?? '', job.metadata?.ownerReferences),
        onDelete: (key) => this.setOwner('Job', ...splitKey(key), undefined),
      }));
    }
    this.syncedPromise = new Promise((r) => { this.resolveSynced = r; });
  }

  start(): void {
    for (const r of this.reflectors) r.start();
    // An API server that refuses namespaces or owners (RBAC) must not hold pods back for ever.
    this.supportTimer = setTimeout(() => this.supportReady(), SUPPORT_WAIT_MS);
  }

  async stop(): Promise<void> {
    clearTimeout(this.supportTimer);
    await Promise.all(this.reflectors.map((r) => r.stop()));
  }

  /** Resolves once every resource has been listed once. */
  synced(): Promise<void> {
    return this.syncedPromise;
  }

  ownerOf(kind: 'ReplicaSet' | 'Job', namespace: string, name: string): { kind: string; name: string } | undefined {
    return this.topOwners.get(`${kind}/${namespace}/${name}`);
  }

  private add<T extends ListedObject>(r: Reflector<T>): void {
    this.reflectors.push(r as unknown as Reflector<ListedObject>);
  }

  private synced1(resource: string): void {
    this.listed.add(resource);
    const all = this.reflectors.length;
    if (this.listed.size === all - 1 && !this.listed.has('pods')) this.supportReady();
    if (this.listed.size === all) {
      this.supportReady();
      this.resolveSynced();
    }
  }

  private supportReady(): void {
    clearTimeout(this.supportTimer);
    if (!this.podsHeld) return;
    this.podsHeld = false;
    for (const s of [...this.pods.values()]) this.setPod(s.pod);
  }

  private setPod(pod: V1Pod): void {
    const key = objectKey(pod);
    const node = pod.spec?.nodeName ?? '';
    const prev = this.pods.get(key);
    const state: PodState = { pod, node, ids: new Set() };
    if (this.podsHeld) {
      this.pods.set(key, state);
      return;
    }
    const k8s = k8sInfoOf(pod, this.nsLabels.get(pod.metadata?.namespace ?? '') ?? {}, this);
    for (const c of containersOfPod(pod, k8s)) {
      state.ids.add(c.id);
      this.opts.onChange(node, c.id, c.meta);
    }
    if (prev) for (const id of prev.ids) if (!state.ids.has(id)) this.opts.onChange(prev.node, id, null);
    this.pods.set(key, state);
  }

  private deletePod(key: string): void {
    const prev = this.pods.get(key);
    if (!prev) return;
    this.pods.delete(key);
    for (const id of prev.ids) this.opts.onChange(prev.node, id, null);
  }

  private setNamespace(name: string, labels: Record<string, string>): void {
    this.nsLabels.set(name, labels);
    for (const s of [...this.pods.values()]) if (s.pod.metadata?.namespace === name) this.setPod(s.pod);
  }

  private setOwner(kind: 'ReplicaSet' | 'Job', namespace: string, name: string, refs: V1OwnerReference[] | undefined): void {
    const key = `${kind}/${namespace}/${name}`;
    const ref = refs?.find((r) => r.controller) ?? refs?.[0];
    const before = this.topOwners.get(key);
    if (ref) this.topOwners.set(key, { kind: ref.kind, name: ref.name });
    else this.topOwners.delete(key);
    const after = this.topOwners.get(key);
    if (before?.kind === after?.kind && before?.name === after?.name) return;
    for (const s of [...this.pods.values()]) {
      if (s.pod.metadata?.namespace !== namespace) continue;
      if (s.pod.metadata?.ownerReferences?.some((r) => r.kind === kind && r.name === name)) this.setPod(s.pod);
    }
  }
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
