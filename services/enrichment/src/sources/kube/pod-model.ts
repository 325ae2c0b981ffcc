/**
 * Pure mapping from Kubernetes objects to container metadata: a Pod's container statuses (regular, init and
 * ephemeral) become one `ContainerMeta` each, keyed by the id in `containerID` (`containerd://…`, `cri-o://…`,
 * `docker://…`). Objects may come from a list (client-node deserialises dates) or a watch (raw JSON strings).
 */
import type { K8sInfo } from '@peregrine/event';
import type { V1Container, V1ContainerStatus, V1OwnerReference, V1Pod, V1Volume } from '@kubernetes/client-node';
import { parseContainerId } from '../../container-id.ts';
import { digestOf, parseImageRef } from '../../image.ts';
import type { ContainerMeta } from '../../metadata.ts';

/** The owner of a ReplicaSet or Job, as recorded by the owners index. */
export interface OwnerLookup {
  ownerOf(kind: 'ReplicaSet' | 'Job', namespace: string, name: string): { kind: string; name: string } | undefined;
}

export interface PodContainer {
  id: string;
  runtime: string;
  meta: ContainerMeta;
}

/** The pod's top workload through its controller ownerReference: ReplicaSet → Deployment, Job → CronJob. */
export function workloadOf(pod: V1Pod, owners: OwnerLookup): { kind: string; name: string } {
  const refs = pod.metadata?.ownerReferences ?? [];
  const ref: V1OwnerReference | undefined = refs.find((r) => r.controller) ?? refs[0];
  const name = pod.metadata?.name ?? '';
  if (!ref) return { kind: 'Pod', name };
  if (ref.kind === 'ReplicaSet' || ref.kind === 'Job') {
    const top = owners.ownerOf(ref.kind, pod.metadata?.namespace ?? '', ref.name);
    if (top) return top;
  }
  return { kind: ref.kind, name: ref.name };
}

export function k8sInfoOf(pod: V1Pod, nsLabels: Record<string, string>, owners: OwnerLookup): K8sInfo {
  const workload = workloadOf(pod, owners);
  return {
    nsName: pod.metadata?.namespace ?? '',
    nsLabels,
    podName: pod.metadata?.name ?? '',
    podUid: pod.metadata?.uid ?? '',
    podIp: pod.status?.podIP ?? '',
    podLabels: pod.metadata?.labels ?? {},
    workloadKind: workload.kind,
    workloadName: workload.name,
  };
}

export function containersOfPod(pod: V1Pod, k8s: K8sInfo): PodContainer[] {
  const spec = pod.spec;
  const status = pod.status;
  const specs = new Map<string, V1Container>();
  for (const c of spec?.containers ?? []) specs.set(c.name, c);
  for (const c of spec?.initContainers ?? []) specs.set(c.name, c);
  for (const c of spec?.ephemeralContainers ?? []) specs.set(c.name, c as V1Container);
  const volumes = new Map<string, V1Volume>();
  for (const v of spec?.volumes ?? []) volumes.set(v.name, v);
  const out: PodContainer[] = [];
  const statuses: V1ContainerStatus[] = [
    ...(status?.initContainerStatuses ?? []),
    ...(status?.containerStatuses ?? []),
    ...(status?.ephemeralContainerStatuses ?? []),
  ];
  for (const st of statuses) {
    const ref = parseContainerId(st.containerID);
    if (!ref) continue;
    out.push({ id: ref.id, runtime: ref.runtime, meta: metaOf(st, specs.get(st.name), volumes, k8s) });
  }
  return out;
}

function metaOf(st: V1ContainerStatus, spec: V1Container | undefined, volumes: Map<string, V1Volume>, k8s: K8sInfo): ContainerMeta {
  // The spec's image is what the user wrote; the status may hold a resolved or normalised name.
  const image = spec?.image ?? st.image ?? '';
  const ref = parseImageRef(image);
  const imageId = st.imageID ?? '';
  const started = st.state?.running?.startedAt ?? st.state?.terminated?.startedAt;
  return {
    name: st.name,
    image,
    imageRepository: ref.repository,
    imageTag: ref.tag,
    imageDigest: ref.digest || digestOf(imageId),
    imageId,
    privileged: spec ? spec.securityContext?.privileged === true : null,
    mounts: (spec?.volumeMounts ?? []).map((m) => {
      const v = volumes.get(m.name);
      return {
        source: v?.hostPath?.path ?? m.name,
        dest: m.mountPath,
        mode: '',
        rdwr: m.readOnly !== true,
        propagation: m.mountPropagation ?? '',
      };
    }),
    startTs: started ? BigInt(new Date(started).getTime()) * 1_000_000n : 0n,
    k8s,
    exited: st.state?.terminated !== undefined && st.state?.terminated !== null && !st.state?.running,
  };
}
