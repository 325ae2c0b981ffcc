/**
 * What a metadata source knows about one container, and the contract every source implements. Sources (the
 * Kubernetes API, the CRI socket, the central NATS bucket) push into a sink; the stage reads the merged view.
 */
import type { ContainerInfo } from '@peregrine/event';

/** A container record as a source knows it: the event model's, less what capture owns (id, type, state). */
export interface ContainerMeta extends Omit<ContainerInfo, 'id' | 'type' | 'metadata'> {
  /** The container has terminated: its entry is evicted after the grace period. */
  exited: boolean;
}

export interface MetadataSink {
  /** The source's current view of container `id` (a full id, without runtime scheme). */
  put(source: string, id: string, meta: ContainerMeta): void;
  /** The source no longer has the container (pod deleted, container removed). */
  drop(source: string, id: string): void;
}

export interface MetadataSource {
  readonly name: string;
  /** Starts feeding `sink`; resolves once started (not synced: sources keep retrying in the background). */
  start(sink: MetadataSink): Promise<void>;
  /** Resolves once the source has read its initial state (first list, first KV snapshot). */
  synced(): Promise<void>;
  /** Optional: the stage met container `id` and knows nothing of it; a source that can ask directly does so now. */
  lookup?(id: string): void;
  stop(): Promise<void>;
}

/** Field by field, the first source (in configured order) that knows a value wins. */
export function mergeMeta(metas: Iterable<ContainerMeta>): ContainerMeta | null {
  let out: ContainerMeta | null = null;
  for (const m of metas) {
    if (!out) {
      out = { ...m };
      continue;
    }
    if (!out.name) out.name = m.name;
    if (!out.image) out.image = m.image;
    if (!out.imageRepository) out.imageRepository = m.imageRepository;
    if (!out.imageTag) out.imageTag = m.imageTag;
    if (!out.imageDigest) out.imageDigest = m.imageDigest;
    if (!out.imageId) out.imageId = m.imageId;
    if (out.privileged === null) out.privileged = m.privileged;
    if (out.mounts.length === 0) out.mounts = m.mounts;
    if (out.startTs === 0n) out.startTs = m.startTs;
    if (!out.k8s) out.k8s = m.k8s;
    out.exited ||= m.exited;
  }
  return out;
}
