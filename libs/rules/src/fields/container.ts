/**
 * container.* and k8s.*: the container record of the event's process. A host process has no record: container.id
 * and container.name read "host", the rest are absent, as libsinsp does.
 */
import type { ContainerInfo, ContainerMount, EventBatch, K8sInfo, SyscallEvent } from '@peregrine/event';
import { def, keyArg } from './define.ts';
import { memo } from './memo.ts';
import { procOf } from './proc.ts';
import type { Accessor, FieldDef, Value } from './types.ts';

function containerOf(batch: EventBatch, ev: SyscallEvent): ContainerInfo | undefined {
  const p = procOf(batch, ev);
  return p && p.container >= 0 ? batch.containers[p.container] : undefined;
}

const container = (read: (c: ContainerInfo, ev: SyscallEvent) => Value, onHost: Value = null): Accessor => (batch, ev) => {
  const p = procOf(batch, ev);
  if (!p) return null;
  const c = p.container >= 0 ? batch.containers[p.container] : undefined;
  return c ? read(c, ev) : onHost;
};
const shortId = memo((c: ContainerInfo) => c.id.slice(0, 12));
const orNull = (s: string) => (s === '' ? null : s);

const k8s = (read: (k: K8sInfo) => Value): Accessor => (batch, ev) => {
  const k = containerOf(batch, ev)?.k8s;
  return k ? read(k) : null;
};

function renderLabels(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}:${v}`).join(', ');
}

function renderMount(m: ContainerMount): string {
  return `${m.source}:${m.dest}:${m.mode}:${m.rdwr}:${m.propagation}`;
}

const mountsText = memo((c: ContainerInfo) => c.mounts.map(renderMount).join(','));
const nsLabelsText = memo((k: K8sInfo) => renderLabels(k.nsLabels));
const podLabelsText = memo((k: K8sInfo) => renderLabels(k.podLabels));

/** container.mount[N] by index, or container.mount[/dest] by destination path. */
function mountBinder(read: (m: ContainerMount) => Value): FieldDef['bind'] {
  return (arg) => {
    if (arg === null) throw new Error('needs an argument: a mount index or destination path');
    const byIndex = /^[0-9]+$/.test(arg);
    const n = Number(arg);
    return { get: container((c) => {
      const m = byIndex ? c.mounts[n] : c.mounts.find((x) => x.dest === arg);
      return m ? read(m) : null;
    }) };
  };
}

/** k8s.pod.label[app] / k8s.pod.label.app: one label; without a key, absent. */
function labelBinder(pick: (k: K8sInfo) => Record<string, string>): FieldDef['bind'] {
  return (arg) => {
    if (arg === null) throw new Error('needs an argument: the label key');
    return { get: k8s((k) => pick(k)[arg] ?? null) };
  };
}

const workload = (kind: string) => k8s((k) => (k.workloadKind === kind ? k.workloadName : null));

export const CONTAINER_FIELDS: FieldDef[] = [
  def('container.id', 'string', "the container id (first 12 characters), 'host' for host processes", null, () => ({ get: container(shortId, 'host') })),
  def('container.full_id', 'string', "the full container id, 'host' for host processes", null, () => ({ get: container((c) => c.id, 'host') })),
  def('container.name', 'string', "the container name, 'host' for host processes", null, () => ({ get: container((c) => orNull(c.name), 'host') })),
  def('container.type', 'string', 'the container runtime type (docker, containerd, cri-o…)', null, () => ({ get: container((c) => orNull(c.type), 'host') })),
  def('container.image', 'string', 'the container image name (repository:tag)', null, () => ({ get: container((c) => orNull(c.image)) })),
  def('container.image.id', 'string', 'the container image id', null, () => ({ get: container((c) => orNull(c.imageId)) })),
  def('container.image.repository', 'string', 'the container image repository', null, () => ({ get: container((c) => orNull(c.imageRepository)) })),
  def('container.image.tag', 'string', 'the container image tag', null, () => ({ get: container((c) => orNull(c.imageTag)) })),
  def('container.image.digest', 'string', 'the container image registry digest', null, () => ({ get: container((c) => orNull(c.imageDigest)) })),
  def('container.privileged', 'bool', 'true for containers running as privileged', null, () => ({ get: container((c) => c.privileged) })),
  def('container.mounts', 'string', 'all mounts as source:dest:mode:rdwr:propagation, comma separated', null, () => ({ get: container(mountsText) })),
  def('container.mount', 'string', 'one mount (by index or destination) as source:dest:mode:rdwr:propagation', keyArg(false), mountBinder(renderMount)),
  def('container.mount.source', 'string', 'the source of a mount (by index or destination)', keyArg(false), mountBinder((m) => m.source)),
  def('container.mount.dest', 'string', 'the destination of a mount (by index or destination)', keyArg(false), mountBinder((m) => m.dest)),
  def('container.mount.mode', 'string', 'the mode of a mount (by index or destination)', keyArg(false), mountBinder((m) => m.mode)),
  def('container.mount.rdwr', 'string', 'whether a mount (by index or destination) is read-write', keyArg(false), mountBinder((m) => String(m.rdwr))),
  def('container.mount.propagation', 'string', 'the propagation of a mount (by index or destination)', keyArg(false), mountBinder((m) => m.propagation)),
  def('container.start_ts', 'time', 'container start time, ns since the epoch', null, () => ({ get: container((c) => (c.startTs ? c.startTs : null)) })),
  def('container.duration', 'time', 'ns since the container started', null, () => ({ get: container((c, ev) => (c.startTs ? ev.ts - c.startTs : null)) })),

  def('k8s.ns.name', 'string', 'Kubernetes namespace name', null, () => ({ get: k8s((k) => orNull(k.nsName)) })),
  def('k8s.ns.label', 'string', 'a Kubernetes namespace label (k8s.ns.label[key])', keyArg(false), labelBinder((k) => k.nsLabels)),
  def('k8s.ns.labels', 'string', 'all Kubernetes namespace labels, as key:value, comma separated', null, () => ({ get: k8s(nsLabelsText) })),
  def('k8s.pod.name', 'string', 'Kubernetes pod name', null, () => ({ get: k8s((k) => orNull(k.podName)) })),
  def('k8s.pod.uid', 'string', 'Kubernetes pod UID', null, () => ({ get: k8s((k) => orNull(k.podUid)) })),
  def('k8s.pod.id', 'string', 'Kubernetes pod UID (legacy name of k8s.pod.uid)', null, () => ({ get: k8s((k) => orNull(k.podUid)) })),
  def('k8s.pod.ip', 'string', 'Kubernetes pod IP', null, () => ({ get: k8s((k) => orNull(k.podIp)) })),
  def('k8s.pod.label', 'string', 'a Kubernetes pod label (k8s.pod.label[key])', keyArg(false), labelBinder((k) => k.podLabels)),
  def('k8s.pod.labels', 'string', 'all Kubernetes pod labels, as key:value, comma separated', null, () => ({ get: k8s(podLabelsText) })),
  def('k8s.workload.kind', 'string', 'kind of the top owner of the pod (Deployment, DaemonSet…)', null, () => ({ get: k8s((k) => orNull(k.workloadKind)) })),
  def('k8s.workload.name', 'string', 'name of the top owner of the pod', null, () => ({ get: k8s((k) => orNull(k.workloadName)) })),
  def('k8s.deployment.name', 'string', 'Kubernetes deployment name', null, () => ({ get: workload('Deployment') })),
  def('k8s.daemonset.name', 'string', 'Kubernetes daemonset name', null, () => ({ get: workload('DaemonSet') })),
  def('k8s.statefulset.name', 'string', 'Kubernetes statefulset name', null, () => ({ get: workload('StatefulSet') })),
  def('k8s.job.name', 'string', 'Kubernetes job name', null, () => ({ get: workload('Job') })),
  def('k8s.cronjob.name', 'string', 'Kubernetes cronjob name', null, () => ({ get: workload('CronJob') })),
];
