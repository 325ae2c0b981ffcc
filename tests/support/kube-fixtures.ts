/** Kubernetes objects shaped as a real API server returns them, for the stand-in and for pure tests. */

export interface PodFixture {
  name: string;
  namespace: string;
  node: string;
  uid?: string;
  ip?: string;
  labels?: Record<string, string>;
  /** Full container id; omitted: the container has not started yet (no containerID in its status). */
  containerId?: string;
  runtime?: 'containerd' | 'cri-o' | 'docker';
  containerName?: string;
  image?: string;
  imageId?: string;
  privileged?: boolean;
  owner?: { kind: string; name: string };
  startedAt?: string;
  terminated?: boolean;
}

export function pod(f: PodFixture): { metadata: { name: string; namespace: string; [k: string]: unknown }; spec: Record<string, unknown>; status: Record<string, unknown> } {
  const containerName = f.containerName ?? 'app';
  const image = f.image ?? 'docker.io/library/nginx:1.25.3';
  const startedAt = f.startedAt ?? '2026-11-28T10:00:00Z';
  return {
    metadata: {
      name: f.name,
      namespace: f.namespace,
      uid: f.uid ?? `uid-${f.name}`,
      labels: f.labels ?? {},
      ownerReferences: f.owner ? [{ apiVersion: 'apps/v1', kind: f.owner.kind, name: f.owner.name, uid: `uid-${f.owner.name}`, controller: true }] : undefined,
    },
    spec: {
      nodeName: f.node,
      containers: [{
        name: containerName,
        image,
        securityContext: f.privileged === undefined ? undefined : { privileged: f.privileged },
        volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'host-logs', mountPath: '/var/log/host', readOnly: true }],
      }],
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'host-logs', hostPath: { path: '/var/log' } }],
    },
    status: {
      phase: 'Running',
      podIP: f.ip ?? '10.244.0.7',
      containerStatuses: [{
        name: containerName,
        image,
        imageID: f.imageId ?? 'docker.io/library/nginx@sha256:2bdc49f2f8ae8d8dc50ed00f2ee56d00385c6f8bc8a8b320d0a294d9e3b49026',
        containerID: f.containerId ? `${f.runtime ?? 'containerd'}://${f.containerId}` : undefined,
        ready: !f.terminated,
        restartCount: 0,
        state: f.terminated
          ? { terminated: { exitCode: 0, startedAt, finishedAt: startedAt } }
          : f.containerId ? { running: { startedAt } } : { waiting: { reason: 'ContainerCreating' } },
      }],
    },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): { metadata: { name: string; labels: Record<string, string> } } {
  return { metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

/** A ReplicaSet or Job owned by `owner` (Deployment, CronJob). */
export function ownedBy(name: string, namespace: string, owner: { kind: string; name: string }) {
  return {
    metadata: {
      name, namespace,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: `uid-${owner.name}`, controller: true }],
    },
    spec: {},
  };
}

/** A 64-hex container id, as containerd and cri-o make them, derived from `seed` so tests can tell them apart. */
export function containerIdFor(seed: string): string {
  let h = '';
  for (let i = 0; h.length < 64; i++) h += ((seed.charCodeAt(i % seed.length) * 31 + i * 7) % 256).toString(16).padStart(2, '0');
  return h.slice(0, 64);
}
