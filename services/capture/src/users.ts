/**
 * uid/gid → names, read from /etc/passwd and /etc/group under a process's own root (`/proc/<pid>/root/etc/passwd`)
 * so a container's users resolve as the container sees them. Cached per root key (container id, or "host").
 *
 * Names are looked up when a batch record is built, which can be after the process exited (a shell that ran one
 * command and left before the ring was drained): its /proc root is gone then, so the container's files are read
 * through another live process of the same container. Only a successful read is cached, and a cached read is read
 * again when a uid or gid is missing from it and it is older than REREAD_MS (a user added since).
 */
import { readFileSync, statSync } from 'node:fs';
import type { ProcState, ProcTable } from './state.ts';

export interface UserEntry {
  name: string;
  home: string;
  shell: string;
}

interface RootDb {
  users: Map<number, UserEntry>;
  groups: Map<number, string>;
  readAt: number;
}

const EMPTY: RootDb = { users: new Map(), groups: new Map(), readAt: 0 };
const REREAD_MS = 5000;
/** How often, per container, to search the table for another live process to read through. */
const SEARCH_INTERVAL_MS = 1000;
const MAX_SEARCHED = 16;
const ANCESTRY = 8;

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

function parse(root: string, now: number): RootDb {
  const users = new Map<number, UserEntry>();
  const groups = new Map<number, string>();
  const read = (p: string) => { try { return readFileSync(`${root}${p}`, 'utf8'); } catch { return ''; } };
  for (const line of read('/etc/passwd').split('\n')) {
    const f = line.split(':');
    if (f.length >= 7) users.set(Number(f[2]), { name: f[0], home: f[5], shell: f[6] });
  }
  for (const line of read('/etc/group').split('\n')) {
    const f = line.split(':');
    if (f.length >= 3) groups.set(Number(f[2]), f[0]);
  }
  return { users, groups, readAt: now };
}

/**
 * The files under `pid`'s root, or null when they cannot be the container's: the process is gone, or it has not
 * yet entered the container's root (runc init before pivot_root still shows the host's).
 */
function readContainerRoot(pid: number, now: number): RootDb | null {
  const root = `/proc/${pid}/root`;
  if (sameFile(root, '/')) return null;
  const db = parse(root, now);
  return db.users.size > 0 ? db : null;
}

export class UserDb {
  private readonly roots = new Map<string, RootDb>();
  private readonly searchedAt = new Map<string, number>();

  constructor(
    private readonly table: ProcTable,
    private readonly maxRoots = 256,
    private readonly now: () => number = Date.now,
  ) {}

  user(p: ProcState, uid: number): UserEntry | undefined {
    const found = this.db(p).users.get(uid);
    return found ?? this.reread(p)?.users.get(uid);
  }

  group(p: ProcState, gid: number): string | undefined {
    const found = this.db(p).groups.get(gid);
    return found ?? this.reread(p)?.groups.get(gid);
  }

  private key(p: ProcState): string {
    return p.container ? p.container.id : 'host';
  }

  private db(p: ProcState): RootDb {
    const key = this.key(p);
    return this.roots.get(key) ?? this.read(key, p) ?? EMPTY;
  }

  /** After a miss: the files again, if the cached read is old enough that they may have changed since. */
  private reread(p: ProcState): RootDb | undefined {
    const key = this.key(p);
    const cached = this.roots.get(key);
    if (!cached || this.now() - cached.readAt < REREAD_MS) return undefined;
    cached.readAt = this.now(); // if nothing can be read now, keep the old files and do not retry at once
    return this.read(key, p) ?? undefined;
  }

  private read(key: string, p: ProcState): RootDb | null {
    const now = this.now();
    const db = p.container ? this.readContainer(key, p, now) : parse('', now);
    if (!db || db.users.size === 0) return null;
    this.roots.delete(key);
    if (this.roots.size >= this.maxRoots) this.roots.delete(this.roots.keys().next().value as string);
    this.roots.set(key, db);
    return db;
  }

  /** Through the process itself, then its ancestors in the same container, then any live process of it. */
  private readContainer(key: string, p: ProcState, now: number): RootDb | null {
    const own = readContainerRoot(p.pid, now);
    if (own) return own;
    for (let q = this.table.get(p.ppid), n = 0; q && q.container?.id === key && n < ANCESTRY; q = this.table.get(q.ppid), n++) {
      const db = readContainerRoot(q.pid, now);
      if (db) return db;
    }
    // a search walks the table: at most once a second per container while none of its processes can be read
    if (now - (this.searchedAt.get(key) ?? -Infinity) < SEARCH_INTERVAL_MS) return null;
    this.searchedAt.set(key, now);
    if (this.searchedAt.size > this.maxRoots) this.searchedAt.delete(this.searchedAt.keys().next().value as string);
    let tried = 0;
    for (const q of this.table.procs.values()) {
      if (q.exitedAt > 0 || q.container?.id !== key || q.pid === p.pid) continue;
      const db = readContainerRoot(q.pid, now);
      if (db) return db;
      if (++tried >= MAX_SEARCHED) break;
    }
    return null;
  }
}
