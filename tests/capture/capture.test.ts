/**
 * Capture on the real kernel: each action is done by a real child process and the test asserts what Falco's fields
 * would read (evt.type/args, proc.name/pname/aname, fd.name/sip/sport, proc.tty, user.name).
 * Needs root (eBPF); skipped with the reason otherwise.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flagValue, FdType, ProcFlag } from '@peregrine/event';
import { DEFAULT_RULE_EVENT_TYPES, missingPrivileges } from '@peregrine/capture';
import { Harness } from './harness.ts';

const PY = '/usr/bin/python3';
const skip = process.getuid?.() !== 0 || missingPrivileges().length > 0 ? 'needs root for eBPF' : false;
const O_CREAT = flagValue('file_flags', 'O_CREAT')!;
const O_TRUNC = flagValue('file_flags', 'O_TRUNC')!;

describe('capture on the real kernel', { skip }, () => {
  let h: Harness;
  let dir: string;
  let preexisting: ReturnType<typeof spawn>;
  const preDir = mkdtempSync(join(tmpdir(), 'pg-pre-'));

  before(() => {
    // started before capture: its later events must still resolve parent, exe and cwd (from the /proc scan)
    preexisting = spawn(PY, ['-c', `import os,sys; os.chdir(${JSON.stringify(preDir)}); sys.stdin.readline(); open('late.txt','w').close()`], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    dir = mkdtempSync(join(tmpdir(), 'pg-cap-'));
    h = new Harness([...DEFAULT_RULE_EVENT_TYPES, 'write'], { captureEnv: true });
  });

  after(() => {
    h?.stop();
    preexisting?.kill();
    rmSync(dir, { recursive: true, force: true });
    rmSync(preDir, { recursive: true, force: true });
    rmSync('/dev/shm/pg-copied-true', { force: true });
  });

  it('spawns a process tree through a shell: execve with args, proc.pname and proc.aname[2]', async () => {
    execFileSync('/bin/sh', ['-c', `/usr/bin/bash -c '/usr/bin/cat /etc/hostname; true' > /dev/null`], { env: { PATH: '/usr/bin:/bin', PG_MARK: 'tree' } });
    const e = await h.find((s) => s.type === 'execve' && s.proc.name === 'cat' && s.proc.args[0] === '/etc/hostname');
    assert.equal(e.res, 0);
    assert.equal(e.proc.exepath, '/usr/bin/cat');
    assert.deepEqual(e.args.args, ['/etc/hostname']);
    assert.equal(e.aname[1], 'bash');
    assert.equal(e.aname[2], 'sh');
    assert.equal(e.proc.user, 'root');
    assert.ok(e.proc.env?.includes('PG_MARK=tree'), 'the environment is captured when configured');
    assert.ok((e.args.env as string[]).includes('PG_MARK=tree'));
  });

  it('opens with O_CREAT|O_TRUNC, writes, renames and unlinks', async () => {
    execFileSync('/bin/sh', ['-c', `cd ${dir} && echo hello > a.txt && mv a.txt b.txt && rm b.txt`]);
    const open = await h.find((s) => s.type === 'openat' && s.fd?.name === `${dir}/a.txt`);
    assert.equal(open.args.name, 'a.txt');
    assert.equal((open.args.flags as number) & (O_CREAT | O_TRUNC), O_CREAT | O_TRUNC);
    assert.equal(open.fd!.type, FdType.File);
    assert.equal(open.proc.cwd, dir);
    const write = await h.find((s) => s.type === 'write' && s.fd?.name === `${dir}/a.txt`);
    assert.equal(write.res, 6);
    const rename = await h.find((s) => (s.type === 'renameat2' || s.type === 'rename' || s.type === 'renameat') && s.proc.name === 'mv' && String(s.args.newpath).endsWith('b.txt'));
    assert.equal(rename.res, 0);
    const unlink = await h.find((s) => s.type === 'unlinkat' && s.proc.name === 'rm' && s.proc.cwd === dir);
    assert.equal(unlink.args.name, 'b.txt');
    assert.equal(unlink.res, 0);
  });

  it('connects a TCP socket to a loopback listener, then dup2s it onto stdout', async () => {
    const server: Server = createServer((c) => c.on('data', () => c.end()).on('error', () => undefined));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      execFileSync(PY, ['-c', `import socket,os; s=socket.create_connection(('127.0.0.1',${port})); os.dup2(s.fileno(),1); os.write(1,b'x')`]);
      const conn = await h.find((s) => s.type === 'connect' && s.fd?.dport === port);
      assert.equal(conn.res, 0);
      assert.equal(conn.fd!.sip, '127.0.0.1');
      assert.equal(conn.fd!.dip, '127.0.0.1');
      assert.ok(conn.fd!.sport > 0);
      assert.equal(conn.fd!.name, `127.0.0.1:${conn.fd!.sport}->127.0.0.1:${port}`);
      const tuple = conn.args.tuple as { sport: number; dport: number };
      assert.equal(tuple.dport, port);
      // after the connect: before its exec, the same pid (node's forked child) dup2'd its stdio too
      const dup = await h.find((s) => s.type === 'dup2' && s.proc.pid === conn.proc.pid && s.ev.num > conn.ev.num);
      assert.equal(dup.args.newfd, 1);
      assert.equal(dup.res, 1);
      assert.equal(dup.fd!.num, 1);
      assert.equal(dup.fd!.name, conn.fd!.name);
      assert.equal(dup.fd!.type, FdType.Ipv4);
    } finally {
      server.close();
    }
  });

  it('names a socket accepted on a unix listener after the listener\'s path', async () => {
    const path = join(dir, 'listener.sock');
    const script = `import socket
srv=socket.socket(socket.AF_UNIX); srv.bind(${JSON.stringify(path)}); srv.listen(1)
cli=socket.socket(socket.AF_UNIX); cli.connect(${JSON.stringify(path)})
conn,_=srv.accept(); print(conn.fileno())`;
    const child = spawnSync(PY, ['-c', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const ev = await h.find((s) => s.type.startsWith('accept') && s.proc.pid === child.pid && s.res >= 0);
    assert.equal(ev.res, Number(child.stdout.trim()));
    assert.equal(ev.fd!.num, ev.res);
    assert.equal(ev.fd!.type, FdType.Unix);
    assert.equal(ev.fd!.name, path);
  });

  it('reports clone3 flags (glibc starts threads with clone3)', async () => {
    const child = spawnSync(PY, ['-c', 'import threading; t=threading.Thread(target=lambda: None); t.start(); t.join()']);
    assert.equal(child.status, 0, String(child.stderr));
    const ev = await h.find((s) => s.type === 'clone3' && s.proc.pid === child.pid && s.res > 0);
    const flags = ev.args.flags as number;
    for (const f of ['CLONE_THREAD', 'CLONE_VM', 'CLONE_FILES', 'CLONE_SIGHAND']) {
      assert.ok((flags & flagValue('clone_flags', f)!) !== 0, `${f} in ${flags.toString(16)}`);
    }
    assert.equal(flags & flagValue('clone_flags', 'CLONE_NEWPID')!, 0);
  });

  it('reports procexit with the exit status, and the signal of a killed process', async () => {
    const exited = spawnSync('/bin/sh', ['-c', 'exit 3']);
    assert.equal(exited.status, 3);
    const code = await h.find((s) => s.type === 'procexit' && s.proc.pid === exited.pid);
    assert.equal(code.dir, 0);
    assert.deepEqual(code.args, { status: 3 << 8, ret: 3, sig: 0, core: 0, reaper_tid: 0 });
    assert.equal(code.proc.name, 'sh');

    const victim = spawn('/usr/bin/sleep', ['30']);
    await h.find((s) => s.type === 'execve' && s.proc.pid === victim.pid);
    const gone = new Promise((r) => victim.on('exit', r));
    victim.kill('SIGTERM');
    await gone;
    const killed = await h.find((s) => s.type === 'procexit' && s.proc.pid === victim.pid);
    assert.deepEqual(killed.args, { status: 15, ret: 0, sig: 15, core: 0, reaper_tid: 0 });
    assert.equal(killed.proc.name, 'sleep');
  });

  it('ptrace attach reports the request and the target pid', async () => {
    const script = `import ctypes,subprocess,os
libc=ctypes.CDLL(None,use_errno=True)
p=subprocess.Popen(['/usr/bin/sleep','5'])
r=libc.ptrace(16,p.pid,0,0)
os.waitpid(p.pid,0)
libc.ptrace(17,p.pid,0,0)
p.kill()
print(p.pid)`;
    const target = Number(execFileSync(PY, ['-c', script]).toString().trim());
    const enter = await h.find((s) => s.type === 'ptrace' && s.dir === 0 && s.args.pid === target);
    assert.equal(enter.args.request, flagValue('ptrace_requests', 'PTRACE_ATTACH'));
    const exit = await h.find((s) => s.type === 'ptrace' && s.dir === 1 && s.proc.pid === enter.proc.pid);
    assert.equal(exit.res, 0);
  });

  it('creates a symlink and a hardlink', async () => {
    execFileSync('/bin/sh', ['-c', `cd ${dir} && : > target && ln -s target soft && ln target hard`]);
    const sym = await h.find((s) => s.type === 'symlinkat' && s.args.linkpath === 'soft');
    assert.equal(sym.args.target, 'target');
    assert.equal(sym.res, 0);
    const hard = await h.find((s) => s.type === 'linkat' && s.args.newpath === 'hard');
    assert.equal(hard.args.oldpath, 'target');
    assert.equal(hard.res, 0);
  });

  it('execs a copied binary from /dev/shm and one from a memfd', async () => {
    copyFileSync('/usr/bin/true', '/dev/shm/pg-copied-true');
    execFileSync('/bin/chmod', ['+x', '/dev/shm/pg-copied-true']);
    execFileSync('/dev/shm/pg-copied-true');
    const shm = await h.find((s) => s.type === 'execve' && s.proc.exepath === '/dev/shm/pg-copied-true');
    assert.equal(shm.proc.name, 'pg-copied-true');
    assert.equal(shm.proc.flags & ProcFlag.ExeFromMemfd, 0);
    const script = `import os
fd=os.memfd_create('pgmem',0)
os.write(fd,open('/usr/bin/true','rb').read())
os.execv('/proc/self/fd/%d'%fd,['pgmem'])`;
    execFileSync(PY, ['-c', script]);
    const mem = await h.find((s) => s.type === 'execve' && s.proc.exe === 'pgmem');
    assert.equal(mem.proc.flags & ProcFlag.ExeFromMemfd, ProcFlag.ExeFromMemfd);
    assert.match(mem.proc.exepath, /^memfd:pgmem/);
    const create = await h.find((s) => s.type === 'memfd_create' && s.args.name === 'pgmem');
    assert.equal(create.fd!.type, FdType.Memfd);
  });

  it('flags an exe from an overlay upper layer and one from a lower layer', async () => {
    const o = mkdtempSync(join(tmpdir(), 'pg-ovl-'));
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(o, d));
    copyFileSync('/usr/bin/true', join(o, 'lower/lowertrue'));
    execFileSync('/usr/bin/mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${o}/lower,upperdir=${o}/upper,workdir=${o}/work`, `${o}/merged`]);
    try {
      copyFileSync('/usr/bin/true', join(o, 'merged/uppertrue')); // written through the overlay: lands in upper
      execFileSync('/bin/chmod', ['+x', join(o, 'merged/uppertrue')]);
      execFileSync(join(o, 'merged/uppertrue'));
      execFileSync(join(o, 'merged/lowertrue'));
      const upper = await h.find((s) => s.type === 'execve' && s.proc.exepath === `${o}/merged/uppertrue`);
      assert.equal(upper.proc.flags & ProcFlag.ExeUpperLayer, ProcFlag.ExeUpperLayer);
      const lower = await h.find((s) => s.type === 'execve' && s.proc.exepath === `${o}/merged/lowertrue`);
      assert.equal(lower.proc.flags & ProcFlag.ExeUpperLayer, 0);
      assert.equal(lower.proc.flags & ProcFlag.ExeLowerLayer, ProcFlag.ExeLowerLayer);
    } finally {
      spawnSync('/usr/bin/umount', [`${o}/merged`]);
      rmSync(o, { recursive: true, force: true });
    }
  });

  it('reports proc.tty under a pseudo-terminal and user.name for another uid', async () => {
    spawnSync('/usr/bin/script', ['-qec', '/usr/bin/cat /etc/hostname', '/dev/null'], { stdio: 'ignore' });
    const tty = await h.find((s) => s.type === 'execve' && s.proc.name === 'cat' && s.proc.tty !== 0);
    assert.equal(tty.proc.tty >> 8, 136); // /dev/pts/N: major 136
    execFileSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/cat', '/etc/hostname']);
    const nobody = await h.find((s) => s.type === 'execve' && s.proc.name === 'cat' && s.proc.uid === 65534);
    assert.equal(nobody.proc.user, 'nobody');
    assert.equal(nobody.proc.group, 'nogroup');
  });

  it('resolves parent, exe and cwd of a process that was running before capture started', async () => {
    preexisting.stdin!.write('go\n');
    const e = await h.find((s) => s.type === 'openat' && s.fd?.name === `${preDir}/late.txt`);
    assert.equal(e.proc.pid, preexisting.pid);
    assert.equal(e.proc.cwd, preDir);
    assert.match(e.proc.exepath, /^\/usr\/bin\/python3/);
    assert.equal(e.aname[1], 'node');
    assert.equal(e.args.name, 'late.txt');
  });
});
