/** Batches as capture makes them: one process inside one container, its container record with only id and type. */
import { emptyBatch, MetadataState, NO_REF, type ContainerInfo, type EventBatch, type ProcessInfo } from '@peregrine/event';

export function containerRecord(id: string, type = 'containerd'): ContainerInfo {
  return {
    id, type, name: '', image: '', imageRepository: '', imageTag: '', imageDigest: '', imageId: '', privileged: null,
    mounts: [], startTs: 0n, k8s: null, metadata: MetadataState.None,
  };
}

export function processRecord(pid: number, container: number): ProcessInfo {
  return {
    pid, ppid: 1, vpid: pid, sid: pid, vpgid: pid, parent: NO_REF, container, name: 'sh', exe: 'sh', exepath: '/bin/sh',
    args: [], env: null, cwd: '/', tty: 0, uid: 0, gid: 0, loginuid: -1, user: 'root', loginuser: '', group: 'root',
    homedir: '/root', shell: '/bin/sh', startTs: 0n, capPermitted: 0n, capEffective: 0n, capInheritable: 0n, flags: 0, pidns: 0,
  };
}

/** `events` events per container id given, each from its own process. */
export function batchFor(node: string, seq: number, containerIds: string[], eventsPer = 1): EventBatch {
  const b = emptyBatch(node, seq);
  for (const id of containerIds) {
    const ci = b.containers.push(containerRecord(id)) - 1;
    const pi = b.procs.push(processRecord(1000 + ci, ci)) - 1;
    for (let i = 0; i < eventsPer; i++) {
      b.events.push({ num: b.events.length, ts: 1n, type: 0, dir: 0, cpu: 0, tid: 1000 + ci, proc: pi, fd: NO_REF, res: 0, args: [] });
    }
  }
  return b;
}
