/**
 * Capture inside a runc container whose cgroup path is shaped like a Kubernetes pod's: events carry the 64-hex
 * container id, the in-container pid, the container's own view of paths, and users from the container's passwd (also
 * for a process already gone when its records are read).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { missingPrivileges } from '@peregrine/capture';
import { runcUnavailable, startRuncContainer, type RuncContainer } from '../support/runc.ts';
import { Harness } from './harness.ts';

const skip = process.getuid?.() !== 0 || missingPrivileges().length > 0 ? 'needs root for eBPF' : runcUnavailable() ?? false;

describe('capture inside a runc container', { skip }, () => {
  let h: Harness;
  const containers: RuncContainer[] = [];

  before(() => {
    h = new Harness(['openat', 'execve']);
  });

  after(async () => {
    h?.stop();
    for (const c of containers) await c.cleanup();
  });

  for (const layout of ['cgroupfs', 'systemd'] as const) {
    it(`${layout} layout: container id, vpid, container paths and users`, async () => {
      const c = await startRuncContainer({ layout });
      containers.push(c);
      // busybox runs an applet by exec'ing /proc/self/exe: comm is "exe", argv[0] the applet
      const r = await c.exec(['sh', '-c', 'cd /home/app && exec cat /etc/hostname'], { env: [] });
      assert.equal(r.code, 0, r.stderr);
      const e = await h.find((s) => s.type === 'execve' && s.proc.exe === 'cat' && s.container?.id === c.id);
      assert.equal(e.container!.type, 'containerd');
      assert.ok(e.proc.vpid > 0 && e.proc.vpid < 100, `vpid ${e.proc.vpid}`);
      assert.notEqual(e.proc.vpid, e.proc.pid);
      assert.equal(e.proc.exepath, '/bin/busybox');
      assert.equal(e.proc.cwd, '/home/app');
      assert.equal(e.proc.user, 'root');
      assert.equal(e.aname[1], 'runc'); // `exec cat` replaced the shell: runc exec started it
      const open = await h.find((s) => s.type === 'openat' && s.proc.pid === e.proc.pid && s.args.name === '/etc/hostname');
      assert.equal(open.fd!.name, '/etc/hostname');

      // uid 1000 is "app" in the container's /etc/passwd, someone else (or nobody) on the host
      const r2 = await c.exec(['cat', '/etc/hostname'], { env: [], user: '1000:1000' });
      assert.equal(r2.code, 0, r2.stderr);
      const app = await h.find((s) => s.type === 'openat' && s.container?.id === c.id && s.proc.uid === 1000 && s.args.name === '/etc/hostname');
      assert.equal(app.proc.user, 'app');
      assert.equal(app.proc.homedir, '/home/app');
    });
  }
  it('a shell from runc exec -t that is gone before its records are read still gets the container\'s user', async () => {
    // the container starts before this capture, so nothing of it is cached; the drain lags behind the shell (as
    // under load), so its own /proc root is gone by the time its records are read
    const c = await startRuncContainer({});
    containers.push(c);
    const late = new Harness(['execve'], { pollMs: 1500 });
    try {
      const r = await c.execTty(['sh'], ['id']);
      assert.match(r.stdout, /uid=0\(root\)/, r.stdout);
      const sh = await late.find((s) => s.type === 'execve' && s.container?.id === c.id && s.proc.exe === 'sh');
      assert.equal(sh.proc.uid, 0);
      assert.equal(sh.proc.user, 'root');
      assert.equal(sh.proc.homedir, '/root');
      assert.equal(sh.proc.group, 'root');
    } finally {
      late.stop();
    }
  });
});

