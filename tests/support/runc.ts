/**
 * Real containers for tests, without Docker: an OCI bundle with a busybox-static rootfs run by `runc`.
 *
 *   const c = await startRuncContainer({ layout: 'cgroupfs' });
 *   try { await c.exec(['sh', '-c', 'cat /etc/hostname']); } finally { await c.cleanup(); }
 *
 * or `await withRuncContainer({}, async (c) => { ... })`, which always cleans up. The container's cgroup path is
 * shaped like a Kubernetes pod's, so container-id parsers see what they would on a node:
 *  - cgroupfs: /kubepods/besteffort/pod<uid>/<64-hex id>
 *  - systemd:  /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid_>.slice/cri-containerd-<id>.scope
 * Needs root, `runc` and `busybox` (Debian's busybox-static); `runcUnavailable()` says why not when they are missing.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BUSYBOX = '/bin/busybox';
/** Our own runc state dir, so tests never see or touch containers that other tools started. */
const RUNC_ROOT = '/run/peregrine-test-runc';
const CGROUP_ROOT = '/sys/fs/cgroup';

export type CgroupLayout = 'cgroupfs' | 'systemd';

/** Containers not yet cleaned up: deleted when the test process exits, so a test that forgot (or threw) leaks none. */
const live = new Map<string, { bundle: string; cgroupsPath: string }>();
process.once('exit', () => {
  for (const [id, c] of live) {
    spawnSync('runc', ['--root', RUNC_ROOT, 'delete', '--force', id], { stdio: 'ignore' });
    removePodCgroups(c.cgroupsPath);
    rmSync(c.bundle, { recursive: true, force: true });
  }
});

export interface RuncOptions {
  /** 64 hex characters; random by default */
  id?: string;
  /** the pod uid placed in the cgroup path; a random UUID by default */
  podUid?: string;
  layout?: CgroupLayout;
  /** the container's init process; default: sleep until killed */
  args?: string[];
  env?: string[];
  hostname?: string;
  /** Extra files written into the rootfs before start: path inside the container → content. */
  files?: Record<string, string>;
  /** Share the host network namespace (default false: the container has its own loopback only). */
  hostNetwork?: boolean;
}

export interface ExecOptions {
  env?: string[];
  cwd?: string;
  /** uid[:gid] to run as inside the container */
  user?: string;
  timeoutMs?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RuncContainer {
  /** the 64-hex container id */
  id: string;
  podUid: string;
  /** cgroupsPath as written in config.json */
  cgroupsPath: string;
  bundle: string;
  rootfs: string;
  /** host pid of the container's init process */
  pid: number;
  /** Runs a command inside the container (`runc exec`) and waits for it. Rejects never: look at `code`. */
  exec(args: string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * `runc exec -t` under a real pty (util-linux `script`), as `kubectl exec -ti` gives: waits for the shell's
   * prompt, types each line, then `exit`. Resolves with the whole terminal transcript.
   */
  execTty(args: string[], lines: string[], opts?: { timeoutMs?: number }): Promise<ExecResult>;
  /** Kills and deletes the container, removes the bundle and the pod's cgroup directories. Safe to call twice. */
  cleanup(): Promise<void>;
}

/** null when containers can be run here, otherwise what is missing. */
export function runcUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'runc containers need root';
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (apt-get install busybox-static)`;
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin').split(':')) if (existsSync(join(dir, 'runc'))) return null;
  return 'runc is missing (apt-get install runc)';
}

export function cgroupsPathFor(layout: CgroupLayout, podUid: string, id: string): string {
  if (layout === 'cgroupfs') return `/kubepods/besteffort/pod${podUid}/${id}`;
  const pod = podUid.replace(/-/g, '_');
  return `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${pod}.slice/cri-containerd-${id}.scope`;
}

function buildRootfs(rootfs: string, opts: RuncOptions): void {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'home/app']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
  // busybox runs an applet by the name it was invoked with: one symlink per applet we expect tests to use.
  for (const applet of ['sh', 'sleep', 'cat', 'ls', 'echo', 'touch', 'rm', 'mv', 'ln', 'id', 'nc', 'wget', 'true', 'chmod', 'mkdir', 'cp', 'ps', 'env', 'whoami', 'head']) {
    symlinkSync('busybox', join(rootfs, 'bin', applet));
  }
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1000:\n');
  writeFileSync(join(rootfs, 'etc/hostname'), `${opts.hostname ?? 'peregrine-test'}\n`);
  for (const [path, content] of Object.entries(opts.files ?? {})) {
    const full = join(rootfs, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, content);
  }
}

function ociConfig(opts: RuncOptions, cgroupsPath: string): object {
  const namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (!opts.hostNetwork) namespaces.push({ type: 'network' });
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: opts.args ?? ['sleep', '3600'],
      env: opts.env ?? ['PATH=/bin', 'HOME=/root'],
      cwd: '/',
      capabilities: {
        bounding: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETUID', 'CAP_SETGID', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETUID', 'CAP_SETGID', 'CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETUID', 'CAP_SETGID', 'CAP_NET_BIND_SERVICE'],
      },
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: opts.hostname ?? 'peregrine-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      // a private devpts, so `runc exec -t` can allocate the container-side terminal (runc links /dev/ptmx to it)
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
    ],
    linux: {
      cgroupsPath,
      namespaces,
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list'],
      readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** Removes the pod-level cgroup directories runc leaves behind (it removes only the container's own leaf). */
function removePodCgroups(cgroupsPath: string): void {
  const podDir = cgroupsPath.split('/').slice(0, -1).join('/');
  let hierarchies: string[] = [];
  try { hierarchies = readdirSync(CGROUP_ROOT); } catch { return; }
  for (const h of ['', ...hierarchies]) {
    const leaf = join(CGROUP_ROOT, h, cgroupsPath);
    const pod = join(CGROUP_ROOT, h, podDir);
    for (const dir of [leaf, pod]) {
      try { rmdirSync(dir); } catch { /* absent, not a hierarchy, or still busy: nothing of ours to remove */ }
    }
  }
}

/**
 * `runc run -d` hands its own stdio to the container's init, so waiting for its pipes to close would wait for the
 * container to exit: give it no pipes, wait for the runc process itself, and read errors from runc's log file.
 */
function runDetached(id: string, bundle: string, pidFile: string): Promise<void> {
  const log = join(bundle, 'runc.log');
  return new Promise((resolve, reject) => {
    const child = spawn('runc', ['--root', RUNC_ROOT, '--log', log, 'run', '-d', '--pid-file', pidFile, '--bundle', bundle, id], {
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const detail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3).join('\n') : '';
      reject(new Error(`runc run ${id} failed (${signal ?? `exit ${code}`}): ${detail}`));
    });
  });
}

export async function startRuncContainer(opts: RuncOptions = {}): Promise<RuncContainer> {
  const missing = runcUnavailable();
  if (missing) throw new Error(missing);
  const id = opts.id ?? randomBytes(32).toString('hex');
  const podUid = opts.podUid ?? randomUUID();
  const cgroupsPath = cgroupsPathFor(opts.layout ?? 'cgroupfs', podUid, id);
  const bundle = mkdtempSync(join(tmpdir(), 'peregrine-runc-'));
  const rootfs = join(bundle, 'rootfs');
  const pidFile = join(bundle, 'init.pid');
  let cleaned = false;

  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    live.delete(id);
    await run('runc', ['--root', RUNC_ROOT, 'delete', '--force', id]).catch(() => undefined);
    removePodCgroups(cgroupsPath);
    rmSync(bundle, { recursive: true, force: true });
  };

  try {
    buildRootfs(rootfs, opts);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(ociConfig(opts, cgroupsPath), null, 2));
    live.set(id, { bundle, cgroupsPath });
    await runDetached(id, bundle, pidFile);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    const exec = (args: string[], o: ExecOptions = {}): Promise<ExecResult> =>
      new Promise((resolve) => {
        const flags = [...(o.env ?? []).flatMap((e) => ['--env', e]), ...(o.cwd ? ['--cwd', o.cwd] : []), ...(o.user ? ['--user', o.user] : [])];
        const child = spawn('runc', ['--root', RUNC_ROOT, 'exec', ...flags, id, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
        child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
        const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 20_000);
        child.on('close', (code) => { clearTimeout(timer); resolve({ stdout, stderr, code: code ?? -1 }); });
      });
    const execTty = (args: string[], lines: string[], o: { timeoutMs?: number } = {}): Promise<ExecResult> =>
      new Promise((resolve) => {
        const command = ['runc', '--root', RUNC_ROOT, 'exec', '-t', id, ...args].map(shellQuote).join(' ');
        const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let transcript = '';
        let typed = false;
        const onOutput = (d: Buffer) => {
          transcript += d.toString();
          // busybox sh prints "/ # " once it reads commands; type only then, so no keystroke is lost
          if (!typed && /[#$] (\u001b\[6n)?$/.test(transcript)) {
            typed = true;
            for (const line of [...lines, 'exit']) child.stdin.write(`${line}\n`);
          }
        };
        child.stdout.on('data', onOutput);
        child.stderr.on('data', onOutput);
        const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 20_000);
        child.on('close', (code) => { clearTimeout(timer); resolve({ stdout: transcript, stderr: '', code: code ?? -1 }); });
      });
    return { id, podUid, cgroupsPath, bundle, rootfs, pid, exec, execTty, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Runs `fn` with a fresh container and always cleans up, whether `fn` throws or not. */
export async function withRuncContainer<T>(opts: RuncOptions, fn: (c: RuncContainer) => Promise<T>): Promise<T> {
  const c = await startRuncContainer(opts);
  try {
    return await fn(c);
  } finally {
    await c.cleanup();
  }
}
