/**
 * Container id from a cgroup path, as libsinsp's matchers do: the runtime's naming of the leaf cgroup gives both
 * the id and the runtime. Works for cgroup v1 and v2 paths alike (the path is all we look at).
 */

export interface ContainerRef {
  /** 64 hex (docker, containerd, cri-o, podman) */
  id: string;
  type: 'docker' | 'containerd' | 'cri-o' | 'podman';
}

const HEX64 = '([0-9a-f]{64})';
const MATCHERS: ReadonlyArray<readonly [RegExp, ContainerRef['type']]> = [
  // systemd driver leaves: docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope
  [new RegExp(`^docker-${HEX64}\\.scope$`), 'docker'],
  [new RegExp(`^cri-containerd-${HEX64}\\.scope$`), 'containerd'],
  [new RegExp(`^crio-${HEX64}\\.scope$`), 'cri-o'],
  [new RegExp(`^libpod-${HEX64}(?:\\.scope)?$`), 'podman'],
];

/** null for a host process (Falco's container.id "host"). */
export function containerFromCgroupPath(path: string): ContainerRef | null {
  const parts = path.split('/').filter((p) => p.length > 0);
  for (let i = parts.length - 1; i >= 0; i--) {
    const leaf = parts[i];
    for (const [re, type] of MATCHERS) {
      const m = re.exec(leaf);
      if (m) return { id: m[1], type };
    }
    if (/^[0-9a-f]{64}$/.test(leaf)) {
      // cgroupfs driver: /docker/<id>, /kubepods/<qos>/pod<uid>/<id>, /crio/<id>? no: cri-o uses crio-<id>
      const parent = parts[i - 1] ?? '';
      if (parent === 'docker') return { id: leaf, type: 'docker' };
      if (parent === 'libpod_parent' || parent.startsWith('libpod')) return { id: leaf, type: 'podman' };
      if (parent === 'crio') return { id: leaf, type: 'cri-o' };
      return { id: leaf, type: 'containerd' };
    }
  }
  return null;
}

/** The container in /proc/<pid>/cgroup text (v2 `0::/path` line first, then any v1 line). */
export function containerFromProcCgroup(text: string): ContainerRef | null {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const ordered = [...lines.filter((l) => l.startsWith('0::')), ...lines.filter((l) => !l.startsWith('0::'))];
  for (const line of ordered) {
    const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    const ref = containerFromCgroupPath(path);
    if (ref) return ref;
  }
  return null;
}
