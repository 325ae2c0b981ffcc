/** proc.*, thread.*, user.*, group.*: read from the event's process record and its ancestors (`parent` indices). */
import type { EventBatch, ProcessInfo, SyscallEvent } from '@peregrine/event';
import { ProcFlag } from '@peregrine/event';
import { renderCaps } from './render.ts';
import type { Accessor, FieldDef, NthAccessor, Value } from './types.ts';
import { def, indexArg, keyArg } from './define.ts';
import { memo } from './memo.ts';

export function procOf(batch: EventBatch, ev: SyscallEvent): ProcessInfo | undefined {
  return ev.proc >= 0 ? batch.procs[ev.proc] : undefined;
}

/** The n-th ancestor (0 = the process itself), undefined when the chain ends. */
export function ancestor(batch: EventBatch, p: ProcessInfo | undefined, n: number): ProcessInfo | undefined {
  for (let i = 0; i < n && p; i++) p = p.parent >= 0 ? batch.procs[p.parent] : undefined;
  return p;
}

const cmdline = memo((p: ProcessInfo) => (p.args.length ? `${p.name} ${p.args.join(' ')}` : p.name));
const envText = memo((p: ProcessInfo) => (p.env ?? []).join(' '));
const args = memo((p: ProcessInfo) => p.args.join(' '));

type ProcRead = (p: ProcessInfo, batch: EventBatch, ev: SyscallEvent) => Value;

const self = (read: ProcRead): Accessor => (batch, ev) => {
  const p = procOf(batch, ev);
  return p ? read(p, batch, ev) : null;
};
const parent = (read: ProcRead): Accessor => (batch, ev) => {
  const p = ancestor(batch, procOf(batch, ev), 1);
  return p ? read(p, batch, ev) : null;
};

/** `proc.aname[N]` reads ancestor N (0 = self); without N the field matches any ancestor. */
function ancestorField(name: string, read: ProcRead, description: string): FieldDef {
  return def(name, 'string', description, indexArg(true), (arg) => {
    if (arg === null) {
      const nth: NthAccessor = (batch, ev, i) => {
        const p = ancestor(batch, procOf(batch, ev), i + 1);
        return p ? read(p, batch, ev) : undefined;
      };
      return { get: parent(read), nth };
    }
    const n = Number(arg);
    return { get: (batch, ev) => {
      const p = ancestor(batch, procOf(batch, ev), n);
      return p ? read(p, batch, ev) : null;
    } };
  });
}

/** The nearest ancestor (self included) matching `pick`: the session or process-group leader. */
function leader(batch: EventBatch, ev: SyscallEvent, pick: (p: ProcessInfo, of: ProcessInfo) => boolean) {
  const start = procOf(batch, ev);
  if (!start) return undefined;
  for (let p: ProcessInfo | undefined = start; p; p = p.parent >= 0 ? batch.procs[p.parent] : undefined) {
    if (pick(p, start)) return p;
  }
  return undefined;
}
const isSidLeader = (p: ProcessInfo, of: ProcessInfo) => p.pid === of.sid;
const isVpgidLeader = (p: ProcessInfo, of: ProcessInfo) => p.vpid === of.vpgid;

function envLookup(p: ProcessInfo, key: string): Value {
  if (!p.env) return null;
  const prefix = `${key}=`;
  for (const kv of p.env) if (kv.startsWith(prefix)) return kv.slice(prefix.length);
  return null;
}

/**
 * -1 is the capture's 'not known' (a thread first seen mid-capture): libsinsp reads it as absent for vpid and vtid
 * (proc.sid it prints as -1, as sysdig 0.29 shows).
 */
const known = (id: number): number | null => (id === -1 ? null : id);

const flag = (bit: number): Accessor => self((p) => (p.flags & bit) !== 0);

export const PROC_FIELDS: FieldDef[] = [
  def('proc.pid', 'number', 'the id of the process generating the event', null, () => ({ get: self((p) => p.pid) })),
  def('proc.ppid', 'number', 'the pid of the parent of the process generating the event', null, () => ({ get: self((p) => p.ppid) })),
  def('proc.vpid', 'number', 'the id of the process as seen from its own pid namespace', null, () => ({ get: self((p) => known(p.vpid)) })),
  def('proc.sid', 'number', 'the session id of the process', null, () => ({ get: self((p) => p.sid) })),
  def('proc.vpgid', 'number', 'the process group id as seen from its own pid namespace', null, () => ({ get: self((p) => p.vpgid) })),
  def('proc.name', 'string', 'the name (excluding the path) of the executable generating the event', null, () => ({ get: self((p) => p.name) })),
  def('proc.exe', 'string', 'the first command line argument (usually the executable name or a custom one)', null, () => ({ get: self((p) => p.exe) })),
  def('proc.exepath', 'string', 'the full executable path of the process', null, () => ({ get: self((p) => p.exepath) })),
  def('proc.args', 'string', 'the arguments passed on the command line when starting the process', null, () => ({ get: self(args) })),
  def('proc.cmdline', 'string', 'full process command line: proc.name + proc.args', null, () => ({ get: self(cmdline) })),
  def('proc.cmdnargs', 'number', 'the number of command line args (proc.args)', null, () => ({ get: self((p) => p.args.length) })),
  def('proc.cmdlenargs', 'number', 'the total count of characters in the command line args (proc.args)', null, () => ({ get: self((p) => p.args.reduce((n, a) => n + a.length, 0)) })),
  def('proc.cwd', 'string', 'the current working directory of the event', null, () => ({ get: self((p) => p.cwd) })),
  def('proc.tty', 'number', 'the controlling terminal of the process; 0 for processes without a terminal', null, () => ({ get: self((p) => p.tty) })),
  def('proc.env', 'string', 'the environment variables of the process, or the one named in the argument', keyArg(true), (arg) => ({
    get: arg === null ? self((p) => (p.env ? envText(p) : null)) : self((p) => envLookup(p, arg)),
  })),
  def('proc.pname', 'string', 'the name of the parent of the process', null, () => ({ get: parent((p) => p.name) })),
  def('proc.pexe', 'string', 'the first command line argument of the parent process', null, () => ({ get: parent((p) => p.exe) })),
  def('proc.pexepath', 'string', 'the full executable path of the parent process', null, () => ({ get: parent((p) => p.exepath) })),
  def('proc.pcmdline', 'string', 'the full command line (proc.name + proc.args) of the parent process', null, () => ({ get: parent(cmdline) })),
  def('proc.pvpid', 'number', 'the id of the parent process as seen from its pid namespace', null, () => ({ get: parent((p) => p.vpid) })),
  ancestorField('proc.aname', (p) => p.name, 'the name of ancestor N (1 = parent, 0 = self); without N, any ancestor'),
  ancestorField('proc.aexe', (p) => p.exe, 'proc.exe of ancestor N (1 = parent, 0 = self); without N, any ancestor'),
  ancestorField('proc.aexepath', (p) => p.exepath, 'proc.exepath of ancestor N (1 = parent, 0 = self); without N, any ancestor'),
  ancestorField('proc.acmdline', cmdline, 'proc.cmdline of ancestor N (1 = parent, 0 = self); without N, any ancestor'),
  { ...ancestorField('proc.apid', (p) => p.pid, 'the pid of ancestor N (1 = parent, 0 = self); without N, any ancestor'), type: 'number' },
  def('proc.sname', 'string', 'the name of the current process\'s session leader', null, () => ({ get: (b, e) => leader(b, e, isSidLeader)?.name ?? null })),
  def('proc.is_sid_leader', 'bool', 'true if the process is the leader of its session', null, () => ({ get: self((p) => p.pid === p.sid) })),
  def('proc.vpgid.name', 'string', 'the name of the current process\'s process group leader', null, () => ({ get: (b, e) => leader(b, e, isVpgidLeader)?.name ?? null })),
  def('proc.vpgid.exe', 'string', 'proc.exe of the current process\'s process group leader', null, () => ({ get: (b, e) => leader(b, e, isVpgidLeader)?.exe ?? null })),
  def('proc.vpgid.exepath', 'string', 'proc.exepath of the current process\'s process group leader', null, () => ({ get: (b, e) => leader(b, e, isVpgidLeader)?.exepath ?? null })),
  def('proc.is_vpgid_leader', 'bool', 'true if the process is the leader of its process group', null, () => ({ get: self((p) => p.vpid === p.vpgid) })),
  def('proc.pid_ts', 'time', 'the start time of the process, ns since the epoch', null, () => ({ get: self((p) => p.startTs) })),
  def('proc.duration', 'time', 'ns since the process started', null, () => ({ get: self((p, _b, ev) => (p.startTs ? ev.ts - p.startTs : null)) })),
  def('proc.ppid.duration', 'time', 'ns since the parent process started', null, () => ({ get: parent((p, _b, ev) => (p.startTs ? ev.ts - p.startTs : null)) })),
  def('proc.is_exe_writable', 'bool', 'true if the executable file is writable by the process\'s user', null, () => ({ get: flag(ProcFlag.ExeWritable) })),
  def('proc.is_exe_upper_layer', 'bool', 'true if the executable lives in the upper layer of an overlayfs', null, () => ({ get: flag(ProcFlag.ExeUpperLayer) })),
  def('proc.is_exe_lower_layer', 'bool', 'true if the executable lives in a lower layer of an overlayfs', null, () => ({ get: flag(ProcFlag.ExeLowerLayer) })),
  def('proc.is_exe_from_memfd', 'bool', 'true if the executable is a memfd (fileless execution)', null, () => ({ get: flag(ProcFlag.ExeFromMemfd) })),
  // The executable's inode times are not captured: these read as absent, so checks on them never match.
  def('proc.exe_ino', 'number', 'the inode number of the executable (not captured: always absent)', null, () => ({ get: () => null })),
  def('proc.exe_ino.ctime', 'time', 'the executable\'s inode change time (not captured: always absent)', null, () => ({ get: () => null })),
  def('proc.exe_ino.mtime', 'time', 'the executable\'s inode modification time (not captured: always absent)', null, () => ({ get: () => null })),
  def('proc.exe_ino.ctime_duration_proc_start', 'time', 'ns between the executable\'s ctime and process start (not captured: always absent)', null, () => ({ get: () => null })),
  def('proc.exe_ino.ctime_duration_pidns_start', 'time', 'ns between the executable\'s ctime and pid namespace start (not captured: always absent)', null, () => ({ get: () => null })),
  def('proc.pidns_init_start_ts', 'time', 'start time of the pid namespace\'s init (not captured: always absent)', null, () => ({ get: () => null })),

  def('thread.tid', 'number', 'the id of the thread generating the event', null, () => ({ get: (_b, ev) => ev.tid })),
  def('thread.vtid', 'number', 'the id of the thread as seen from its pid namespace (main threads only)', null, () => ({
    get: self((p, _b, ev) => (ev.tid === p.pid ? known(p.vpid) : null)),
  })),
  def('thread.ismain', 'bool', 'true if the thread is the main one of its process', null, () => ({ get: self((p, _b, ev) => ev.tid === p.pid) })),
  def('thread.cap_permitted', 'string', 'the permitted capabilities set', null, () => ({ get: self((p) => renderCaps(p.capPermitted)) })),
  def('thread.cap_effective', 'string', 'the effective capabilities set', null, () => ({ get: self((p) => renderCaps(p.capEffective)) })),
  def('thread.cap_inheritable', 'string', 'the inheritable capabilities set', null, () => ({ get: self((p) => renderCaps(p.capInheritable)) })),

  // Names the producer could not resolve are empty: libsinsp leaves them absent.
  def('user.uid', 'number', 'user id', null, () => ({ get: self((p) => p.uid) })),
  def('user.name', 'string', 'user name', null, () => ({ get: self((p) => p.user || null) })),
  def('user.homedir', 'string', 'home directory of the user', null, () => ({ get: self((p) => p.homedir || null) })),
  def('user.shell', 'string', 'user\'s shell', null, () => ({ get: self((p) => p.shell || null) })),
  def('user.loginuid', 'number', 'audit user id (auid), -1 when not set', null, () => ({ get: self((p) => p.loginuid) })),
  def('user.loginname', 'string', 'audit user name (auid)', null, () => ({ get: self((p) => p.loginuser || null) })),
  def('group.gid', 'number', 'group id', null, () => ({ get: self((p) => p.gid) })),
  def('group.name', 'string', 'group name', null, () => ({ get: self((p) => p.group || null) })),
];
