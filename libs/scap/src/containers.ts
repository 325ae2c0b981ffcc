/**
 * Container identity from a process's cgroups, as libsinsp's container engines match them (docker, cri-o,
 * containerd, podman, and Kubernetes' cgroupfs layout), plus the metadata a capture's container events carry.
 */
import type { ContainerInfo } from '@peregrine/event';
import { MetadataState } from '@peregrine/event';

const MATCHERS: readonly (readonly [RegExp, string])[] = [
  [/\/docker\/([0-9a-f]{64})(?:\/|$)/, 'docker'],
  [/docker-([0-9a-f]{64})\.scope/, 'docker'],
  [/crio-([0-9a-f]{64})(?:\.scope|\/|$)/, 'cri-o'],
  [/cri-containerd-([0-9a-f]{64})\.scope/, 'containerd'],
  [/libpod-([0-9a-f]{64})(?:\.scope|\/|$)/, 'podman'],
  [/\/kubepods\/(?:[^/]+\/)*([0-9a-f]{64})(?:\/|$)/, 'cri'],
];

/** The container a cgroup list places a process in, or null for the host. */
export function containerFromCgroups(cgroups: readonly string[]): { id: string; type: string } | null {
  for (const entry of cgroups) {
    const path = entry.slice(entry.indexOf('=') + 1);
    for (const [re, type] of MATCHERS) {
      const m = re.exec(path);
      if (m) return { id: m[1]!, type };
    }
  }
  return null;
}

export function emptyContainer(id: string, type: string): ContainerInfo {
  return {
    id, type, name: '', image: '', imageRepository: '', imageTag: '', imageDigest: '', imageId: '', privileged: null,
    mounts: [], startTs: 0n, k8s: null, metadata: MetadataState.None,
  };
}

const TYPE_NAMES: Record<number, string> = { 0: 'docker', 1: 'lxc', 2: 'libvirt-lxc', 3: 'mesos', 4: 'rkt', 5: 'cri', 6: 'containerd', 7: 'cri-o', 8: 'bpm', 9: 'static', 10: 'podman' };

interface ContainerJson {
  container?: {
    id?: string; type?: number; name?: string; image?: string; imagerepo?: string; imagetag?: string;
    imagedigest?: string; imageid?: string; privileged?: boolean;
    Mounts?: { Source?: string; Destination?: string; Mode?: string; RW?: boolean; Propagation?: string }[];
  };
}

/** A container event's JSON as a record (null when it does not parse: the event is then ignored). */
export function containerFromJson(json: string): ContainerInfo | null {
  let parsed: ContainerJson;
  try {
    parsed = JSON.parse(json) as ContainerJson;
  } catch {
    return null;
  }
  const c = parsed.container;
  if (!c || typeof c.id !== 'string') return null;
  const info = emptyContainer(c.id, TYPE_NAMES[c.type ?? 0] ?? 'docker');
  info.name = c.name ?? '';
  info.image = c.image ?? '';
  info.imageRepository = c.imagerepo ?? '';
  info.imageTag = c.imagetag ?? '';
  info.imageDigest = c.imagedigest ?? '';
  info.imageId = c.imageid ?? '';
  info.privileged = typeof c.privileged === 'boolean' ? c.privileged : null;
  info.mounts = (c.Mounts ?? []).map((m) => ({
    source: m.Source ?? '', dest: m.Destination ?? '', mode: m.Mode ?? '', rdwr: m.RW ?? false, propagation: m.Propagation ?? '',
  }));
  info.metadata = MetadataState.Complete;
  return info;
}
