import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FormatError } from '../../src/filter/errors.ts';
import { compileFormat } from '../../src/format/format.ts';
import { BATCH, EVENTS, type EventName } from '../filter/fixture.ts';

// [format, event, rendered]
const RENDER: Array<[string, EventName, string]> = [
  ['plain text', 'openShadow', 'plain text'],
  ['', 'openShadow', ''],
  ['%proc.name', 'openShadow', 'bash'],
  ['user=%user.name cmd=%proc.cmdline', 'execSh', 'user=root cmd=sh -c echo hi > /tmp/x'],
  ['file=%fd.name', 'openShadow', 'file=/etc/shadow'],
  ['file=%fd.name', 'execSh', 'file=<NA>'],
  ['%proc.aname[1]/%proc.aname[2]/%proc.aname[3]', 'openShadow', 'sshd/systemd/<NA>'],
  ['%proc.aname[2]', 'execSh', '<NA>'],
  ['%evt.arg.name', 'openShadow', '/etc/shadow'],
  ['%evt.arg[name]', 'openShadow', '/etc/shadow'],
  ['%evt.arg[0]', 'openShadow', '<f>/etc/shadow'],
  ['exe_flags=%evt.arg.flags', 'writeBin', 'exe_flags=O_TRUNC|O_CREAT|O_WRONLY'],
  ['%proc.env[HOME]', 'openShadow', '/home/alice'],
  ['%k8s.pod.label[app] in %k8s.ns.name', 'execSh', 'web in shop'],
  ['%container.id %container.name', 'openShadow', 'host host'],
  ['%container.id %container.image.repository', 'execSh', '3ad7b26ded6d docker.io/library/nginx'],
  ['%container.privileged', 'execSh', 'true'],
  ['%proc.pid %proc.tty', 'openShadow', '4242 34816'],
  ['[%8proc.name]', 'openShadow', '[bash    ]'],
  ['[%2proc.name]', 'openShadow', '[ba]'],
  ['[%4proc.name]', 'openShadow', '[bash]'],
  ['100%% sure', 'openShadow', '100% sure'],
  ['%%proc.name', 'openShadow', '%proc.name'],
  ['name=%proc.name.', 'openShadow', 'name=bash.'],
  ['(%proc.name)', 'openShadow', '(bash)'],
  ['%proc.name,%proc.pid', 'openShadow', 'bash,4242'],
  ['%tolower(user.loginname)', 'openShadow', 'alice'],
  ['%toupper(proc.name)', 'openShadow', 'BASH'],
  ['%(toupper(proc.name))', 'openShadow', 'BASH'],
  ['%basename(proc.exepath)', 'execSh', 'busybox'],
  ['%len(proc.name)', 'openShadow', '4'],
  ['%evt.res %evt.rawres', 'writeBin', 'EACCES -13'],
  ['%evt.res', 'openShadowEnter', '<NA>'],
  ['%fd.sip:%fd.sport', 'connect', '93.184.216.34:443'],
  ['%fd.cip', 'serverConnect', '2001:db8::5'],
  ['%thread.cap_effective', 'openShadow', 'CAP_NET_RAW CAP_SYS_ADMIN'],
  ['%evt.type %evt.dir', 'openShadowEnter', 'openat >'],
  ['%proc.name\n%proc.pname', 'openShadow', 'bash\nsshd'],
];

describe('format: rendering', () => {
  for (const [fmt, ev, expected] of RENDER) {
    test(`${JSON.stringify(fmt)} on ${ev}`, () => assert.equal(compileFormat(fmt).render(BATCH, EVENTS[ev]), expected));
  }
});

describe('format: output fields', () => {
  test('each field once, in order, with typed values and null for missing', () => {
    const f = compileFormat('%proc.name %proc.pid %proc.name %fd.name %container.privileged %evt.rawtime %proc.aname[2] %tolower(proc.name)');
    assert.deepEqual(f.fields.map((x) => x.name), [
      'proc.name', 'proc.pid', 'fd.name', 'container.privileged', 'evt.rawtime', 'proc.aname[2]', 'tolower(proc.name)',
    ]);
    const values = Object.fromEntries(f.fields.map((x) => [x.name, x.get(BATCH, EVENTS.execSh)]));
    assert.deepEqual(values, {
      'proc.name': 'sh', 'proc.pid': 9200, 'fd.name': null, 'container.privileged': true,
      'evt.rawtime': Number(EVENTS.execSh.ts), 'proc.aname[2]': null, 'tolower(proc.name)': 'sh',
    });
  });
  test('dotted and bracketed arguments name the same output field', () => {
    assert.deepEqual(compileFormat('%evt.arg.name %evt.arg[name]').fields.map((x) => x.name), ['evt.arg[name]']);
  });
});

// [format, reason, col of the '%']
const ERRORS: Array<[string, RegExp, number]> = [
  ['x=%proc.nope', /invalid formatting token: unknown field 'proc.nope'/, 3],
  ['%', /invalid formatting token: expected a field name after %/, 2],
  ['trailing %', /invalid formatting token: expected a field name after %/, 11],
  ['a %proc.name %fd.bogus', /unknown field 'fd.bogus'/, 14],
  ['%proc.aname[2', /missing '\]'/, 12],
  ['%proc.aname[x]', /takes a numeric index/, 1],
  ['%tolower(proc.name', /expected '\)' closing the 'tolower' transformer/, 19],
  ['%(proc.name', /expected '\)' closing '%\('/, 12],
  ['%tolower(proc.pid)', /transformer 'tolower' needs a string field/, 1],
  ['%k8s.pod.label', /requires an argument/, 1],
];

describe('format: errors', () => {
  for (const [fmt, reason, col] of ERRORS) {
    test(JSON.stringify(fmt), () => {
      assert.throws(() => compileFormat(fmt, { file: 'r.yaml', line: 7, col: 11 }), (e: unknown) => {
        assert.ok(e instanceof FormatError, String(e));
        assert.match(e.reason, reason);
        assert.deepEqual([e.file, e.line, e.col], ['r.yaml', 7, 10 + col]);
        return true;
      });
    });
  }
  test('the message carries file:line:col and the excerpt a caret', () => {
    assert.throws(() => compileFormat('user=%user.name bad=%proc.nope', { file: 'r.yaml', line: 7, col: 11 }), (e: unknown) => {
      assert.ok(e instanceof FormatError);
      assert.equal(e.message, "r.yaml:7:31: invalid formatting token: unknown field 'proc.nope'");
      assert.equal(e.excerpt(), 'user=%user.name bad=%proc.nope\n                    ^');
      return true;
    });
  });
});
