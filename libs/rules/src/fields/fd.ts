/**
 * fd.* and fs.path.*: the file descriptor record the event acts on. Our FdInfo keeps the connection as the client
 * (sip/sport) and server (dip/dport) sides; libsinsp's fd.cip is the client, fd.sip the server, and fd.lip/fd.rip
 * depend on which side this process is.
 */
import type { EventBatch, FdInfo, SyscallEvent } from '@peregrine/event';
import { EVENT_TYPES, FD_TYPE_CHAR, FD_TYPE_NAME, FdRole, FdType } from '@peregrine/event';
import { def } from './define.ts';
import { memo } from './memo.ts';
import { basename, dirname } from './render.ts';
import type { Accessor, FieldDef, NthAccessor, Value } from './types.ts';
import { argByNames, argText } from './args.ts';
import { procOf } from './proc.ts';
import { hostResolver } from '../filter/host-names.ts';

export function fdOf(batch: EventBatch, ev: SyscallEvent): FdInfo | undefined {
  return ev.fd >= 0 ? batch.fds[ev.fd] : undefined;
}

const fd = (read: (f: FdInfo) => Value): Accessor => (batch, ev) => {
  const f = fdOf(batch, ev);
  return f ? read(f) : null;
};

/**
 * An open event without an fd (its enter side, or an open that failed) still answers from the event itself, as
 * libsinsp does: fd.num -1, fd.typechar 'f', and on the exit side fd.name and fd.directory come from the path it
 * tried (fd.filename does not). Upstream's
 * open_file_failed macro relies on it.
 */
const openName = argByNames(['name'], argText);
const NO_PATH = '';
function openWithoutFd(batch: EventBatch, ev: SyscallEvent): string | null {
  if (ev.fd >= 0 || !OPENS_FD[ev.type]) return null;
  if (ev.dir !== 1) return NO_PATH;
  const name = openName(batch, ev);
  return typeof name === 'string' ? ((absolute(name, procOf(batch, ev)?.cwd) as string | null) ?? NO_PATH) : NO_PATH;
}
/** `onOpen` answers for an open event without an fd; it gets the path tried ('' on the enter side). */
const fdOrFailedOpen = (read: (f: FdInfo) => Value, onOpen: (path: string) => Value): Accessor => (batch, ev) => {
  const f = fdOf(batch, ev);
  if (f) return read(f);
  const path = openWithoutFd(batch, ev);
  return path === null ? null : onOpen(path);
};
const pathOrNull = (read: (path: string) => Value) => (path: string) => (path === NO_PATH ? null : read(path));

const directory = memo((f: FdInfo) => dirname(f.name));
const filename = memo((f: FdInfo) => basename(f.name));
const isFileLike = (f: FdInfo) => f.type === FdType.File || f.type === FdType.Directory;
const isInet = (f: FdInfo) => f.type === FdType.Ipv4 || f.type === FdType.Ipv6;
/** Socket fields read only inet sockets with a known address (either side): anything else is absent, as in libsinsp. */
const inet = (read: (f: FdInfo) => Value): Accessor => fd((f) => (isInet(f) && (f.sip !== '' || f.dip !== '') ? read(f) : null));

const hostName = (ip: Accessor): Accessor => (batch, ev) => {
  const v = ip(batch, ev);
  return typeof v === 'string' ? hostResolver.nameOf(v) : null;
};

const L4_NAMES: Record<number, string> = { 0: 'unknown', 6: 'tcp', 17: 'udp', 1: 'icmp', 255: 'raw' };

/** Local and remote sides need the role; without one libsinsp leaves them absent. */
const local = (readClient: (f: FdInfo) => Value, readServer: (f: FdInfo) => Value) =>
  inet((f) => (f.role === FdRole.Server ? readServer(f) : f.role === FdRole.Client ? readClient(f) : null));
const remote = (readClient: (f: FdInfo) => Value, readServer: (f: FdInfo) => Value) =>
  inet((f) => (f.role === FdRole.Server ? readClient(f) : f.role === FdRole.Client ? readServer(f) : null));

/**
 * fd.ip, fd.port, fd.net: either known side matches (a listening socket compares its server side only). An inet
 * socket with no address yet (socket exit, connect enter, a bind to port 0) compares as libsinsp's zeroed tuple:
 * port 0 and the unspecified address (fd.ip equals both 0.0.0.0 and ::, whatever the family).
 */
type Unset = (f: FdInfo, i: number) => Value | undefined;
const hasNoAddress = (f: FdInfo) => (f.sip === '' && f.dip === '') || (f.role === FdRole.Server && f.dport === 0);
function eitherSide(client: (f: FdInfo) => Value, server: (f: FdInfo) => Value, unset: Unset): { get: Accessor; nth: NthAccessor } {
  const nth: NthAccessor = (batch, ev, i) => {
    const f = fdOf(batch, ev);
    if (!f || !isInet(f) || i > 1) return undefined;
    if (hasNoAddress(f)) return unset(f, i);
    if (i === 0) return f.sip === '' ? null : client(f);
    return server(f);
  };
  return { get: inet(client), nth };
}

/** A side that is not known (a listening socket has no client) is absent, not an empty address. */
const clientIp = (f: FdInfo) => f.sip || null;
const serverIp = (f: FdInfo) => f.dip || null;
const clientPort = (f: FdInfo) => f.sport;
const serverPort = (f: FdInfo) => f.dport;
const UNSET_IP: readonly string[] = ['0.0.0.0', '::'];
const unsetIp: Unset = (_f, i) => UNSET_IP[i];
const unsetNet: Unset = (f, i) => (i === 0 ? (f.type === FdType.Ipv4 ? '0.0.0.0' : '::') : undefined);
const unsetPort: Unset = (_f, i) => (i === 0 ? 0 : undefined);

/** fs.path.*: the paths that filesystem syscalls name, resolved against the process's cwd. */
function absolute(path: Value, cwd: string | undefined): Value {
  if (typeof path !== 'string' || path === '') return null;
  if (path.startsWith('/') || cwd === undefined) return path;
  return cwd.endsWith('/') ? cwd + path : `${cwd}/${path}`;
}
function fsPath(names: string[], resolve: boolean): FieldDef['bind'] {
  return () => {
    const raw = argByNames(names, argText);
    const read: Accessor = (batch, ev) => (FS_SYSCALL[ev.type] ? raw(batch, ev) : null);
    return { get: resolve ? (batch, ev) => absolute(read(batch, ev), procOf(batch, ev)?.cwd) : read };
  };
}
const OPENS_FD = EVENT_TYPES.map((t) => /^(open|openat|openat2|creat|open_by_handle_at)$/.test(t.name));
/** libsinsp fills fs.path.* only for the syscalls that create, remove or rename paths. */
const FS_SYSCALL = EVENT_TYPES.map((t) => /^(mkdir|mkdirat|rmdir|unlink|unlinkat|rename|renameat|renameat2|link|linkat|symlink|symlinkat)$/.test(t.name));
const FS_NAME = ['path', 'name', 'pathname', 'filename'];
const FS_SOURCE = ['oldpath', 'target', 'source'];
const FS_TARGET = ['newpath', 'linkpath'];

export const FD_FIELDS: FieldDef[] = [
  def('fd.num', 'number', 'the unique number identifying the file descriptor (-1 for an open that failed)', null, () => ({ get: fdOrFailedOpen((f) => f.num, () => -1) })),
  def('fd.type', 'string', 'type of fd: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, memfd…', null, () => ({ get: fd((f) => FD_TYPE_NAME[f.type]) })),
  def('fd.typechar', 'string', 'type of fd as a single character: f, 4, 6, u, p, e, s, l, i, t, n, m, b…', null, () => ({ get: fdOrFailedOpen((f) => FD_TYPE_CHAR[f.type], () => 'f') })),
  def('fd.name', 'string', 'fd full name: the path for files (also the path an open failed on), the connection tuple for sockets', null, () => ({ get: fdOrFailedOpen((f) => f.name, pathOrNull((path) => path)) })),
  def('fd.nameraw', 'string', 'fd name as the syscall passed it, before resolution against the cwd or dirfd', null, () => {
    // FdInfo keeps the resolved name; the event that opens the fd still has the path as passed
    const passed = argByNames(['name', 'pathname'], argText);
    const resolvedName = fd((f) => f.name);
    return { get: (b, e) => (OPENS_FD[e.type] ? passed(b, e) ?? resolvedName(b, e) : resolvedName(b, e)) };
  }),
  def('fd.name_changed', 'bool', 'true when the event changed the fd name (connect, bind…)', null, () => ({ get: () => false })),
  def('fd.directory', 'string', 'the directory containing the file (files and directories only)', null, () => ({ get: fdOrFailedOpen((f) => (isFileLike(f) ? directory(f) : null), pathOrNull(dirname)) })),
  def('fd.filename', 'string', 'the file name without its directory (files and directories only)', null, () => ({ get: fd((f) => (isFileLike(f) ? filename(f) : null)) })),
  def('fd.dev', 'number', 'device number containing the referenced file', null, () => ({ get: fd((f) => f.dev) })),
  def('fd.ino', 'number', 'inode number of the referenced file', null, () => ({ get: fd((f) => f.ino) })),
  def('fd.ip', 'ip', 'matches the IP of either the client or the server', null, () => eitherSide(clientIp, serverIp, unsetIp)),
  def('fd.cip', 'ip', 'client IP address', null, () => ({ get: inet(clientIp) })),
  def('fd.sip', 'ip', 'server IP address', null, () => ({ get: inet(serverIp) })),
  def('fd.lip', 'ip', 'local IP address', null, () => ({ get: local(clientIp, serverIp) })),
  def('fd.rip', 'ip', 'remote IP address', null, () => ({ get: remote(clientIp, serverIp) })),
  def('fd.port', 'number', 'matches the port of either the client or the server', null, () => eitherSide(clientPort, serverPort, unsetPort)),
  def('fd.cport', 'number', 'client port', null, () => ({ get: inet(clientPort) })),
  def('fd.sport', 'number', 'server port', null, () => ({ get: inet(serverPort) })),
  def('fd.lport', 'number', 'local port', null, () => ({ get: local(clientPort, serverPort) })),
  def('fd.rport', 'number', 'remote port', null, () => ({ get: remote(clientPort, serverPort) })),
  def('fd.net', 'net', 'matches the IP network of either the client or the server', null, () => eitherSide(clientIp, serverIp, unsetNet)),
  def('fd.cnet', 'net', 'client IP network', null, () => ({ get: inet(clientIp) })),
  def('fd.snet', 'net', 'server IP network', null, () => ({ get: inet(serverIp) })),
  def('fd.lnet', 'net', 'local IP network', null, () => ({ get: local(clientIp, serverIp) })),
  def('fd.rnet', 'net', 'remote IP network', null, () => ({ get: remote(clientIp, serverIp) })),
  // Names come from the forward resolution of names written in conditions (filter/host-names.ts), as libsinsp's DNS
  // manager answers them: an address no condition's name resolves to has no name.
  def('fd.cip.name', 'string', 'domain name of the client IP, among the names conditions compare it with', null, () => ({ get: hostName(inet(clientIp)) })),
  def('fd.sip.name', 'string', 'domain name of the server IP, among the names conditions compare it with', null, () => ({ get: hostName(inet(serverIp)) })),
  def('fd.lip.name', 'string', 'domain name of the local IP, among the names conditions compare it with', null, () => ({ get: hostName(local(clientIp, serverIp)) })),
  def('fd.rip.name', 'string', 'domain name of the remote IP, among the names conditions compare it with', null, () => ({ get: hostName(remote(clientIp, serverIp)) })),
  def('fd.l4proto', 'string', 'the IP protocol of a socket with an address: tcp, udp, icmp or raw', null, () => ({ get: inet((f) => L4_NAMES[f.l4proto] ?? 'unknown') })),
  def('fd.sockfamily', 'string', "the socket family: 'ip' or 'unix'", null, () => ({ get: fd((f) => (isInet(f) ? 'ip' : f.type === FdType.Unix ? 'unix' : null)) })),
  def('fd.is_server', 'bool', 'true if the process owning this fd is the server endpoint', null, () => ({ get: fd((f) => f.role === FdRole.Server) })),
  def('fd.connected', 'bool', 'true if the socket is connected', null, () => ({ get: fd((f) => isInet(f) && f.role !== FdRole.None && f.dip !== '') })),

  def('fs.path.name', 'string', 'path name of a filesystem syscall, resolved against the cwd', null, fsPath(FS_NAME, true)),
  def('fs.path.nameraw', 'string', 'path name of a filesystem syscall, as passed', null, fsPath(FS_NAME, false)),
  def('fs.path.source', 'string', 'source path of rename/link syscalls, resolved against the cwd', null, fsPath(FS_SOURCE, true)),
  def('fs.path.sourceraw', 'string', 'source path of rename/link syscalls, as passed', null, fsPath(FS_SOURCE, false)),
  def('fs.path.target', 'string', 'target path of rename/link syscalls, resolved against the cwd', null, fsPath(FS_TARGET, true)),
  def('fs.path.targetraw', 'string', 'target path of rename/link syscalls, as passed', null, fsPath(FS_TARGET, false)),
];
