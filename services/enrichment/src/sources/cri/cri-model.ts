/**
 * Pure mapping from CRI answers to container metadata. Kubernetes puts the pod's identity in the sandbox's labels
 * (io.kubernetes.pod.*) next to the pod's own labels; the privileged flag is only in the verbose info JSON
 * (containerd: config.linux.security_context.privileged; cri-o: privileged).
 */
import type { ContainerMount, K8sInfo } from '@peregrine/event';
import { digestOf, parseImageRef } from '../../image.ts';
import type { ContainerMeta } from '../../metadata.ts';

/** Shapes as @grpc/proto-loader decodes them (camelCase, int64 as string, enums as names). */
export interface CriMount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  propagation: string;
}

export interface CriContainerStatus {
  id: string;
  metadata: { name: string } | null;
  state: string;
  startedAt: string;
  image: { image: string } | null;
  imageRef: string;
  labels: Record<string, string>;
  mounts: CriMount[];
}

export interface CriSandboxStatus {
  id: string;
  metadata: { name: string; uid: string; namespace: string } | null;
  network: { ip: string } | null;
  labels: Record<string, string>;
}

const PROPAGATION: Record<string, string> = {
  PROPAGATION_PRIVATE: 'private',
  PROPAGATION_HOST_TO_CONTAINER: 'rslave',
  PROPAGATION_BIDIRECTIONAL: 'rshared',
};

/** Labels the kubelet adds to sandboxes: not the pod's own labels. */
const KUBELET_LABEL_PREFIX = 'io.kubernetes.';

export function privilegedFromInfo(info: Record<string, string> | undefined): boolean | null {
  const text = info?.info;
  if (!text) return null;
  try {
    const o = JSON.parse(text) as { privileged?: unknown; config?: { linux?: { security_context?: { privileged?: unknown } } } };
    const v = o.config?.linux?.security_context?.privileged ?? o.privileged;
    return typeof v === 'boolean' ? v : o.config ? false : null;
  } catch {
    return null;
  }
}

export function k8sFromSandbox(s: CriSandboxStatus | undefined): K8sInfo | null {
  if (!s?.metadata?.namespace) return null;
  const podLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.labels ?? {})) if (!k.startsWith(KUBELET_LABEL_PREFIX)) podLabels[k] = v;
  return {
    nsName: s.metadata.namespace,
    nsLabels: {},
    podName: s.metadata.name,
    podUid: s.metadata.uid,
    podIp: s.network?.ip ?? '',
    podLabels,
    // Owners are not in the CRI: only the API server (or central mode) knows them.
    workloadKind: '',
    workloadName: '',
  };
}

export function metaFromCri(st: CriContainerStatus, sandbox: CriSandboxStatus | undefined, info: Record<string, string> | undefined): ContainerMeta {
  const image = st.image?.image ?? '';
  const ref = parseImageRef(image);
  const mounts: ContainerMount[] = (st.mounts ?? []).map((m) => ({
    source: m.hostPath,
    dest: m.containerPath,
    mode: '',
    rdwr: !m.readonly,
    propagation: PROPAGATION[m.propagation] ?? '',
  }));
  return {
    name: st.metadata?.name ?? '',
    image,
    imageRepository: ref.repository,
    imageTag: ref.tag,
    imageDigest: ref.digest || digestOf(st.imageRef ?? ''),
    imageId: st.imageRef ?? '',
    privileged: privilegedFromInfo(info),
    mounts,
    startTs: BigInt(st.startedAt || '0'),
    k8s: k8sFromSandbox(sandbox),
    exited: st.state === 'CONTAINER_EXITED',
  };
}
