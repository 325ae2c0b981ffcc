/**
 * Builds EventBatches for rule tests the way capture and enrichment shape them: processes with their parent chain,
 * fds, containers with Kubernetes metadata, and events whose arguments sit in the event table's order.
 */
import {
  FdRole, FdType, L4Proto, MetadataState, NO_REF, emptyBatch, eventTypeByName, flagValue,
  type ArgValue, type ContainerInfo, type EventBatch, type FdInfo, type K8sInfo, type ProcessInfo, type SyscallEvent,
} from '@peregrine/event';

export const NODE = 'node-a';
/** 2026-11-28T10:36:52.123456789Z */
export const BASE_TS = 1_795_862_212_123_456_789n;
const SECOND = 1_000_000_000n;

export type ProcSpec = Partial<Omit<ProcessInfo, 'parent' | 'container'>>;

export class BatchBuilder {
  readonly batch: EventBatch = emptyBatch(NODE, 1);
  private num = 1000;

  container(over: Partial<Omit<ContainerInfo, 'k8s'>> = {}, k8s: Partial<K8sInfo> | null = {}): number {
    const id = over.id ?? 'a1b2c3d4e5f6'.repeat(6).slice(0, 64);
    this.batch.containers.push({
      id,
      type: 'containerd',
      name: 'web',
      image: 'registry.example.com/shop/web:1.2.3',
      imageRepository: 'registry.example.com/shop/web',
      imageTag: '1.2.3',
      imageDigest: '',
      imageId: '',
      privileged: false,
      mounts: [],
      startTs: BASE_TS - 3600n * SECOND,
      metadata: MetadataState.Complete,
      ...over,
      k8s: k8s === null ? null : {
        nsName: 'shop',
        nsLabels: {},
        podName: 'web-7d9f8b6c5-x1q2z',
        podUid: '0b6f7c1e-1d2a-4c3b-9e8f-000000000001',
        podIp: '10.1.2.3',
        podLabels: { app: 'web' },
        workloadKind: 'Deployment',
        workloadName: 'web',
        ...k8s,
      },
    });
    return this.batch.containers.length - 1;
  }

  /** A process and its ancestors (nearest first); all in `container` (NO_REF = host). */
  proc(spec: ProcSpec, ancestors: ProcSpec[] = [], container = NO_REF): number {
    let parent = NO_REF;
    for (let i = ancestors.length - 1; i >= 0; i--) parent = this.pushProc(ancestors[i]!, parent, container, 100 + i);
    return this.pushProc(spec, parent, container, 200);
  }

  private pushProc(spec: ProcSpec, parent: number, container: number, pid: number): number {
    const name = spec.name ?? 'cat';
    this.batch.procs.push({
      pid,
      ppid: parent === NO_REF ? 1 : this.batch.procs[parent]!.pid,
      vpid: pid,
      sid: pid,
      vpgid: pid,
      parent,
      container,
      name,
      exe: name,
      exepath: `/usr/bin/${name}`,
      args: [],
      env: null,
      cwd: '/',
      tty: 0,
      uid: 0,
      gid: 0,
      loginuid: -1,
      user: 'root',
      loginuser: '',
      group: 'root',
      homedir: '/root',
      shell: '/bin/bash',
      startTs: BASE_TS - 60n * SECOND,
      capPermitted: 0n,
      capEffective: 0n,
      capInheritable: 0n,
      flags: 0,
      pidns: 0,
      ...spec,
    });
    return this.batch.procs.length - 1;
  }

  fd(spec: Partial<FdInfo>): number {
    this.batch.fds.push({
      num: 3, type: FdType.File, name: '', openFlags: 0, dev: 0, ino: 0, l4proto: L4Proto.Unknown,
      sip: '', sport: 0, dip: '', dport: 0, role: FdRole.None, ...spec,
    });
    return this.batch.fds.length - 1;
  }

  /** Appends an event; `args` by parameter name, placed in the table's order (missing ones null). */
  event(type: string, opts: { proc: number; fd?: number; res?: number; dir?: 0 | 1; args?: Record<string, ArgValue> }): SyscallEvent {
    const info = eventTypeByName(type);
    if (!info) throw new Error(`event table has no '${type}'`);
    const dir = opts.dir ?? 1;
    const params = dir === 1 ? info.exit : info.enter;
    const args = params.map((p) => (opts.args && p.name in opts.args ? opts.args[p.name]! : null));
    for (const name of Object.keys(opts.args ?? {})) {
      if (!params.some((p) => p.name === name)) throw new Error(`${type} ${dir ? 'exit' : 'enter'} has no parameter '${name}'`);
    }
    const ev: SyscallEvent = {
      num: this.num++,
      ts: BASE_TS + BigInt(this.batch.events.length) * 1000n,
      type: info.code,
      dir,
      cpu: 0,
      tid: this.batch.procs[opts.proc]?.pid ?? 0,
      proc: opts.proc,
      fd: opts.fd ?? NO_REF,
      res: opts.res ?? 0,
      args,
    };
    this.batch.events.push(ev);
    return ev;
  }
}

/** A flag or enum value as events carry it (libscap's PPM encoding, from the event library's tables). */
export function flag(table: string, name: string): number {
  const v = flagValue(table, name);
  if (v === undefined) throw new Error(`no ${name} in ${table}`);
  return v;
}

/** Open flags as events carry them. */
export const O = {
  RDONLY: flag('file_flags', 'O_RDONLY'),
  WRONLY: flag('file_flags', 'O_WRONLY'),
  RDWR: flag('file_flags', 'O_RDWR'),
  CREAT: flag('file_flags', 'O_CREAT'),
  TRUNC: flag('file_flags', 'O_TRUNC'),
} as const;
