/** Per-batch work on container records: deduplication and copying merged metadata in. No per-event work. */
import { MetadataState, NO_REF, type ContainerInfo, type EventBatch } from '@peregrine/event';
import type { CacheEntry } from './cache.ts';

/** Merges container records that share an id into the first one and repoints the process records at it. */
export function dedupeContainers(batch: EventBatch): void {
  const cs = batch.containers;
  if (cs.length < 2) return;
  let firstIndex: Map<string, number> | undefined;
  let remap: Int32Array | undefined;
  for (let i = 0; i < cs.length; i++) {
    firstIndex ??= new Map();
    const first = firstIndex.get(cs[i]!.id);
    if (first === undefined) {
      firstIndex.set(cs[i]!.id, i);
      continue;
    }
    remap ??= Int32Array.from(cs, (_c, j) => j);
    remap[i] = first;
  }
  if (!remap) return;
  const kept: ContainerInfo[] = [];
  const newIndex = new Int32Array(cs.length);
  for (let i = 0; i < cs.length; i++) {
    if (remap[i] === i) {
      newIndex[i] = kept.length;
      kept.push(cs[i]!);
    }
  }
  for (const p of batch.procs) if (p.container !== NO_REF) p.container = newIndex[remap[p.container]!]!;
  batch.containers = kept;
}

/** Copies what is known into a capture-made record and says how complete it is. */
export function fillContainer(c: ContainerInfo, e: CacheEntry | undefined, waitedOut: boolean): void {
  const m = e?.merged;
  if (m) {
    c.name = m.name;
    c.image = m.image;
    c.imageRepository = m.imageRepository;
    c.imageTag = m.imageTag;
    c.imageDigest = m.imageDigest;
    c.imageId = m.imageId;
    c.privileged = m.privileged;
    c.mounts = m.mounts;
    c.startTs = m.startTs;
    c.k8s = m.k8s;
  }
  c.metadata = e?.complete ? MetadataState.Complete : m ? MetadataState.Partial : waitedOut ? MetadataState.TimedOut : MetadataState.None;
}
