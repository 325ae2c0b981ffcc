import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import type { Expr, Operand } from '../../src/filter/ast.ts';
import { FieldError } from '../../src/filter/errors.ts';
import { parseCondition } from '../../src/filter/parser.ts';
import { FIELDS, lookupField } from '../../src/fields/table.ts';
import { compileFormat } from '../../src/format/format.ts';
import { BATCH, EVENTS, T0, type EventName } from '../filter/fixture.ts';
import { FALCO_RULES_DIR } from '../../../../tests/support/shared.ts';

const value = (name: string, arg: string | null, ev: EventName) => lookupField(name, arg).get(BATCH, EVENTS[ev]);

// [field, arg, event, value as read]
const VALUES: Array<[string, string | null, EventName, unknown]> = [
  ['evt.num', null, 'openShadow', EVENTS.openShadow.num],
  ['evt.type', null, 'execSh', 'execve'],
  ['evt.dir', null, 'openShadowEnter', '>'],
  ['evt.time', null, 'openShadow', `10:36:52.${String(Number((T0 + BigInt(EVENTS.openShadow.num)) % 1_000_000_000n)).padStart(9, '0')}`],
  ['evt.datetime', null, 'openShadow', `2025-11-28 10:36:52.${String(Number((T0 + BigInt(EVENTS.openShadow.num)) % 1_000_000_000n)).padStart(9, '0')}`],
  ['evt.rawtime', null, 'openShadow', T0 + BigInt(EVENTS.openShadow.num)],
  ['evt.rawtime.s', null, 'openShadow', 1764326212],
  ['evt.res', null, 'openShadow', 'SUCCESS'],
  ['evt.res', null, 'writeBin', 'EACCES'],
  ['evt.res', null, 'openShadowEnter', null],
  ['evt.rawres', null, 'writeBin', -13],
  ['evt.failed', null, 'writeBin', true],
  ['evt.cpu', null, 'openShadow', 1],
  ['evt.hostname', null, 'openShadow', 'node-a'],
  ['evt.category', null, 'connect', 'net'],
  ['evt.arg', 'name', 'openShadow', '/etc/shadow'],
  ['evt.arg', '0', 'openShadow', '<f>/etc/shadow'],
  ['evt.arg', 'fd', 'writeBin', 'EACCES'],
  ['evt.arg', 'dirfd', 'writeBin', 'AT_FDCWD'],
  ['evt.arg', 'res', 'execSh', '0'],
  ['evt.arg', 'tuple', 'connect', '10.1.2.3:43210->93.184.216.34:443'],
  ['evt.arg', 'addr', 'orphanConnect', '/run/containerd/containerd.sock'],
  // libsinsp prints each NUL of a NUL-separated buffer as '.'
  ['evt.arg', 'args', 'execSh', '-c.echo hi > /tmp/x.'],
  ['evt.rawarg', 'flags', 'openShadow', 4097],
  ['evt.arg', 'flags', 'openShadow', 'O_RDONLY|O_CLOEXEC'],
  ['evt.arg', 'flags', 'writeBin', 'O_TRUNC|O_CREAT|O_WRONLY'],
  ['evt.arg', 'mode', 'writeBin', '0755'],
  ['evt.rawarg', 'ino', 'openShadow', 131n],
  ['evt.args', null, 'setuidNginx', 'uid=101(nginx) '],
  ['evt.args', null, 'connect', 'res=0 tuple=10.1.2.3:43210->93.184.216.34:443 fd=5(<4t>10.1.2.3:43210->93.184.216.34:443) '],
  ['evt.args', null, 'openShadow', 'fd=3(<f>/etc/shadow) dirfd=-100(AT_FDCWD) name=/etc/shadow flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=801 ino=131 '],
  ['evt.is_open_read', null, 'connect', false],
  ['proc.pid', null, 'openShadow', 4242],
  ['proc.ppid', null, 'openShadow', 812],
  ['proc.vpid', null, 'execSh', 7],
  ['proc.name', null, 'execSh', 'sh'],
  ['proc.exe', null, 'openShadow', '-bash'],
  ['proc.exepath', null, 'execSh', '/bin/busybox'],
  ['proc.args', null, 'execSh', '-c echo hi > /tmp/x'],
  ['proc.cmdline', null, 'execSh', 'sh -c echo hi > /tmp/x'],
  ['proc.cmdline', null, 'openShadow', 'bash'],
  ['proc.cmdnargs', null, 'execSh', 2],
  ['proc.pcmdline', null, 'execSh', 'nginx -g daemon off;'],
  ['proc.pname', null, 'openShadow', 'sshd'],
  ['proc.pname', null, 'serverConnect', null],
  ['proc.pexepath', null, 'openShadow', '/usr/sbin/sshd'],
  ['proc.aname', '3', 'openShadow', null],
  ['proc.aname', null, 'openShadow', 'sshd'],
  ['proc.cwd', null, 'execSh', '/var/www'],
  ['proc.tty', null, 'openShadow', 34816],
  ['proc.env', null, 'openShadow', 'HOME=/home/alice TERM=xterm EMPTY='],
  ['proc.env', 'TERM', 'openShadow', 'xterm'],
  ['proc.sid', null, 'openShadow', 4242],
  ['proc.duration', null, 'openShadow', 2_000_000_000n + BigInt(EVENTS.openShadow.num)],
  ['proc.is_exe_writable', null, 'openShadow', true],
  ['proc.is_sid_leader', null, 'openShadow', true],
  ['thread.tid', null, 'threadOpen', 4243],
  ['thread.ismain', null, 'threadOpen', false],
  ['thread.cap_effective', null, 'openShadow', 'CAP_NET_RAW CAP_SYS_ADMIN'],
  ['thread.cap_permitted', null, 'execSh', ''],
  ['user.uid', null, 'openShadow', 1000],
  ['user.name', null, 'openShadow', 'alice'],
  ['user.loginuid', null, 'execSh', -1],
  ['user.homedir', null, 'openShadow', '/home/alice'],
  ['group.name', null, 'openShadow', 'staff'],
  ['fd.num', null, 'connect', 5],
  ['fd.name', null, 'connect', '10.1.2.3:43210->93.184.216.34:443'],
  ['fd.type', null, 'serverConnect', 'ipv6'],
  ['fd.typechar', null, 'serverConnect', '6'],
  ['fd.directory', null, 'threadOpen', '/'],
  ['fd.filename', null, 'writeBin', 'evil'],
  ['fd.l4proto', null, 'openShadow', null],
  ['fd.sockfamily', null, 'connect', 'ip'],
  ['fd.lip', null, 'orphanConnect', null],
  ['fd.cip.name', null, 'connect', null],
  ['fd.ino', null, 'openShadow', 131],
  ['fd.nameraw', null, 'writeBin', 'evil'],
  ['fd.nameraw', null, 'connect', '10.1.2.3:43210->93.184.216.34:443'],
  ['container.id', null, 'execSh', '3ad7b26ded6d'],
  ['container.id', null, 'openShadow', 'host'],
  ['container.name', null, 'openShadow', 'host'],
  ['container.image', null, 'openShadow', null],
  ['container.privileged', null, 'openShadow', null],
  ['container.type', null, 'execSh', 'containerd'],
  ['container.mounts', null, 'execSh', '/var/run/docker.sock:/var/run/docker.sock::true:rprivate,/srv/www:/var/www:ro:false:rprivate'],
  ['container.mount', '0', 'execSh', '/var/run/docker.sock:/var/run/docker.sock::true:rprivate'],
  ['container.start_ts', null, 'execSh', T0 - 60_000_000_000n],
  ['k8s.pod.labels', null, 'execSh', 'app:web, app.kubernetes.io/name:nginx'],
  ['k8s.pod.uid', null, 'execSh', '5e0c-11'],
  ['k8s.pod.ip', null, 'execSh', '10.244.0.12'],
  ['k8s.workload.kind', null, 'execSh', 'Deployment'],
  ['k8s.ns.name', null, 'openShadow', null],
];

describe('fields: values over the event model', () => {
  for (const [name, arg, ev, expected] of VALUES) {
    test(`${name}${arg === null ? '' : `[${arg}]`} on ${ev} = ${String(expected)}`, () => {
      assert.deepEqual(value(name, arg, ev), expected);
    });
  }
});

describe('fields: lookup', () => {
  test('dotted and bracketed arguments are the same field', () => {
    assert.equal(lookupField('evt.arg.name').display, 'evt.arg[name]');
    assert.equal(lookupField('evt.arg', 'name').display, 'evt.arg[name]');
    assert.equal(lookupField('k8s.pod.label.app').display, 'k8s.pod.label[app]');
    assert.equal(lookupField('proc.env.HOME').display, 'proc.env[HOME]');
    assert.equal(lookupField('proc.aname', '2').display, 'proc.aname[2]');
  });
  test('exact names win over a dotted argument', () => {
    assert.equal(lookupField('proc.vpgid.name').info.name, 'proc.vpgid.name');
    assert.equal(lookupField('container.mount.dest', '0').info.name, 'container.mount.dest');
  });
  test('unknown names and bad arguments are FieldErrors naming the field', () => {
    for (const [name, arg] of [['proc.nope', null], ['nope.x', null], ['proc.name', 'x'], ['proc.aname', 'x'], ['proc.aname.x', null]] as const) {
      assert.throws(() => lookupField(name, arg), (e: unknown) => e instanceof FieldError && e.field === name);
    }
  });
  test('the table is well formed: unique names, a description and a known type for each', () => {
    const names = FIELDS.map((f) => f.name);
    assert.equal(new Set(names).size, names.length);
    for (const f of FIELDS) {
      assert.ok(f.description.length >= 7, f.name);
      assert.ok(['string', 'number', 'bool', 'ip', 'net', 'time'].includes(f.type), f.name);
    }
    assert.ok(FIELDS.length >= 150, `only ${FIELDS.length} fields`);
  });
});

/** Every field a condition or output of the upstream rules names. */
function upstreamFields(): Map<string, string> {
  const found = new Map<string, string>();
  const walkOperand = (o: Operand, where: string) => {
    if (o.kind === 'field') found.set(o.arg === null ? o.name : `${o.name}[${o.arg}]`, where);
    else walkOperand(o.arg, where);
  };
  const walk = (e: Expr, where: string): void => {
    switch (e.kind) {
      case 'and':
      case 'or':
        return e.children.forEach((c) => walk(c, where));
      case 'not':
        return walk(e.child, where);
      case 'macro':
        return;
      case 'unary':
        return walkOperand(e.left, where);
      case 'binary':
        walkOperand(e.left, where);
        if (e.right.kind === 'val') walkOperand(e.right.field, where);
        if (e.right.kind === 'transformer') walkOperand(e.right, where);
    }
  };
  for (const file of ['falco_rules.yaml', 'falco-incubating_rules.yaml']) {
    const items = parse(readFileSync(`${FALCO_RULES_DIR}/${file}`, 'utf8')) as Array<Record<string, unknown>>;
    for (const item of items) {
      const where = `${file}: ${String(item.rule ?? item.macro ?? '')}`;
      if (typeof item.condition === 'string') walk(parseCondition(item.condition), where);
      if (typeof item.output === 'string') for (const f of compileFormat(item.output).fields) found.set(f.name, where);
    }
  }
  return found;
}

describe('fields: the upstream rules', () => {
  test('every field the stable and incubating rules use binds, in conditions and outputs', () => {
    const fields = upstreamFields();
    assert.ok(fields.size >= 90, `found only ${fields.size}`);
    for (const [display, where] of fields) {
      const m = /^([^[]+)(?:\[(.*)\])?$/.exec(display)!;
      assert.doesNotThrow(() => lookupField(m[1]!, m[2] ?? null), `${display} (${where})`);
    }
  });
});
