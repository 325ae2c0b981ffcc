/**
 * The Kubernetes side of responses, through @kubernetes/client-node: delete a pod, merge-patch its labels, and
 * isolate it with a deny-all NetworkPolicy selecting its labels. Dry run uses the API server's own `dryRun=All`, so
 * the request is validated and authorised but nothing is persisted.
 */
import { CoreV1Api, KubeConfig, NetworkingV1Api, PatchStrategy, setHeaderOptions, type V1NetworkPolicy } from '@kubernetes/client-node';

export interface PodRef {
  namespace: string;
  name: string;
}

/** Label that isolates a pod which had no labels of its own to select it by. */
export const ISOLATION_LABEL = 'peregrine.dev/isolated';

export class KubeActions {
  private readonly core: CoreV1Api;
  private readonly net: NetworkingV1Api;

  constructor(kubeconfigFile?: string) {
    const kc = new KubeConfig();
    if (kubeconfigFile) kc.loadFromFile(kubeconfigFile);
    else kc.loadFromDefault();
    this.core = kc.makeApiClient(CoreV1Api);
    this.net = kc.makeApiClient(NetworkingV1Api);
  }

  async terminate(pod: PodRef, gracePeriodSeconds: number | undefined, dryRun: boolean): Promise<string> {
    await this.core.deleteNamespacedPod({ ...pod, gracePeriodSeconds, dryRun: dryRun ? 'All' : undefined });
    return `pod ${pod.namespace}/${pod.name} deleted`;
  }

  async label(pod: PodRef, labels: Record<string, string | null>, dryRun: boolean): Promise<string> {
    await this.core.patchNamespacedPod({ ...pod, body: { metadata: { labels } }, dryRun: dryRun ? 'All' : undefined },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    return `pod ${pod.namespace}/${pod.name} labelled ${Object.entries(labels).map(([k, v]) => `${k}=${v ?? '(removed)'}`).join(',')}`;
  }

  /** Creates `peregrine-isolate-<pod>`: selects the pod's labels, allows no ingress and no egress. */
  async isolate(pod: PodRef, dryRun: boolean): Promise<string> {
    const current = await this.core.readNamespacedPod(pod);
    let selector = { ...(current.metadata?.labels ?? {}) };
    if (Object.keys(selector).length === 0) {
      selector = { [ISOLATION_LABEL]: pod.name };
      await this.label(pod, selector, dryRun);
    }
    const policy: V1NetworkPolicy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `peregrine-isolate-${pod.name}`.slice(0, 253), namespace: pod.namespace, labels: { 'app.kubernetes.io/managed-by': 'peregrine' } },
      spec: { podSelector: { matchLabels: selector }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] },
    };
    await this.net.createNamespacedNetworkPolicy({ namespace: pod.namespace, body: policy, dryRun: dryRun ? 'All' : undefined });
    return `pod ${pod.namespace}/${pod.name} isolated by NetworkPolicy ${policy.metadata!.name}`;
  }
}
