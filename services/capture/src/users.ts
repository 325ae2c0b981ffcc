/**
 * uid/gid → names, read from /etc/passwd and /etc/group under a process's own root (`/proc/<pid>/root/etc/passwd`)
 * so a container's users resolve as the container sees them. Cached per root key (container id, or "host").
 */
import { readFileSync, statSync } from 'node:fs';

export interface UserEntry {
  name: string;
  home: string;
  shell: string;
}

interface RootDb {
  users: Map<number, UserEntry>;
  groups: Map<number, string>;
}

const EMPTY: RootDb = { users: new Map(), groups: new Map() };

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

function parse(root: string): RootDb {
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
  return { users, groups };
}

export class UserDb {
  private readonly roots = new Map<string, RootDb>();

  constructor(private readonly maxRoots = 256) {}

  /** `rootDir` is read only the first time `key` is seen (a container's files rarely change; the host's are "/"). */
  private db(key: string, rootDir: string): RootDb {
    let db = this.roots.get(key);
    if (!db) {
      if (this.roots.size >= this.maxRoots) this.roots.delete(this.roots.keys().next().value as string);
      // A process that has not yet entered its container's root (runc init) shows the host's files: not the
      // container's, so they are neither used nor cached under its key.
      if (rootDir !== '/' && sameFile(rootDir, '/')) return EMPTY;
      db = parse(rootDir === '/' ? '' : rootDir);
      // An empty read (the process already gone) is not cached: the next process of that root retries.
      if (db.users.size > 0) this.roots.set(key, db);
    }
    return db;
  }

  user(key: string, rootDir: string, uid: number): UserEntry | undefined {
    return this.db(key, rootDir).users.get(uid);
  }

  group(key: string, rootDir: string, gid: number): string | undefined {
    return this.db(key, rootDir).groups.get(gid);
  }
}
