/**
 * Field values where libsinsp answers from more than the record: the fd class as an I/O event's category, absent
 * return values and ids, and inet sockets that have no address yet or no client side.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FdRole, FdType, L4Proto } from '@peregrine/event';
import { compileCondition } from '../../src/filter/compiler.ts';
import { parseCondition } from '../../src/filter/parser.ts';
import { lookupField } from '../../src/fields/table.ts';
import { BatchBuilder } from '../ruleset/batch-builder.ts';

const read = (b: BatchBuilder, field: string, ev = b.batch.events.at(-1)!) => lookupField(field).get(b.batch, ev);
const matches = (b: BatchBuilder, cond: string, ev = b.batch.events.at(-1)!) =>
  compileCondition(parseCondition(cond), { macros: new Map(), lists: new Map() }).match(b.batch, ev);

describe('evt.category of I/O events is the class of their fd', () => {
  const cases: Array<[string, FdType | null, string]> = [
    ['read', FdType.File, 'file'],
    ['write', FdType.Directory, 'file'],
    ['recvfrom', FdType.Ipv4, 'net'],
    ['sendto', FdType.Ipv6, 'net'],
    ['read', FdType.Pipe, 'ipc'],
    ['close', FdType.Unix, 'ipc'],
    ['write', FdType.Event, 'ipc'],
    ['read', FdType.Timerfd, 'unknown'],
    ['read', FdType.Eventpoll, 'unknown'],
    ['write', null, 'unknown'],
  ];
  for (const [type, fdType, want] of cases) {
    test(`${type} on ${fdType === null ? 'no fd record' : `fd type ${fdType}`}: ${want}`, () => {
      const b = new BatchBuilder();
      const fd = fdType === null ? undefined : b.fd({ type: fdType });
      b.event(type, { proc: b.proc({}), fd, args: { res: 0 } });
      assert.equal(read(b, 'evt.category'), want);
      assert.equal(matches(b, `evt.category=${want}`), true);
    });
  }
  test('other events keep the table category', () => {
    const b = new BatchBuilder();
    b.event('openat', { proc: b.proc({}), fd: b.fd({ type: FdType.File }), args: { fd: 3 } });
    assert.equal(read(b, 'evt.category'), 'file');
    b.event('execve', { proc: b.proc({}), args: { res: 0 } });
    assert.equal(read(b, 'evt.category'), 'process');
  });
});

describe('evt.res is absent on exit events without a return value', () => {
  test('an exit event recorded without its res parameter', () => {
    const b = new BatchBuilder();
    b.event('mprotect', { proc: b.proc({}), res: 0 });
    assert.equal(read(b, 'evt.res'), null);
    assert.equal(read(b, 'evt.rawres'), null);
    assert.equal(matches(b, 'evt.res=SUCCESS'), false);
    assert.equal(matches(b, 'evt.res!=SUCCESS'), false);
  });
  test('the same event with its res parameter', () => {
    const b = new BatchBuilder();
    b.event('mprotect', { proc: b.proc({}), res: -12, args: { res: -12 } });
    assert.equal(read(b, 'evt.res'), 'ENOMEM');
    assert.equal(read(b, 'evt.rawres'), -12);
  });
});

describe('-1 ids read as absent where libsinsp does', () => {
  test('proc.vpid and thread.vtid of a thread first seen mid-capture', () => {
    const b = new BatchBuilder();
    b.event('close', { proc: b.proc({ pid: 31699, vpid: -1, sid: -1 }), args: { res: 0 } });
    assert.equal(read(b, 'proc.vpid'), null);
    assert.equal(read(b, 'thread.vtid'), null);
    assert.equal(matches(b, 'proc.vpid=-1'), false);
    // sysdig 0.29 prints a -1 session id as it is
    assert.equal(read(b, 'proc.sid'), -1);
  });
  test('known ids read as themselves', () => {
    const b = new BatchBuilder();
    b.event('close', { proc: b.proc({ pid: 4242, vpid: 7, sid: 4000 }), args: { res: 0 } });
    assert.deepEqual([read(b, 'proc.vpid'), read(b, 'thread.vtid'), read(b, 'proc.sid')], [7, 7, 4000]);
  });
});

describe('inet sockets without a client side or without an address', () => {
  test('a listening socket has no fd.cip; its server side still reads', () => {
    const b = new BatchBuilder();
    const fd = b.fd({ type: FdType.Ipv6, name: '2001:db8::3:1234', l4proto: L4Proto.Tcp, dip: '2001:db8::3', dport: 1234, role: FdRole.Server });
    b.event('listen', { proc: b.proc({}), fd, args: { res: 0 } });
    assert.equal(read(b, 'fd.cip'), null);
    assert.equal(read(b, 'fd.sip'), '2001:db8::3');
    assert.equal(read(b, 'fd.sport'), 1234);
    assert.equal(read(b, 'fd.cport'), 0);
    // fd.port compares the server side only: no client port 0
    assert.equal(matches(b, 'fd.port=0'), false);
    assert.equal(matches(b, 'fd.port=1234'), true);
  });
  for (const [type, label] of [[FdType.Ipv4, 'IPv4'], [FdType.Ipv6, 'IPv6']] as const) {
    test(`an ${label} socket with no address yet compares as port 0 and the unspecified address`, () => {
      const b = new BatchBuilder();
      b.event('socket', { proc: b.proc({}), fd: b.fd({ type }), args: { fd: 3 } });
      assert.equal(matches(b, 'fd.port=0'), true);
      assert.equal(matches(b, 'fd.port in (53, 0, 80)'), true);
      assert.equal(matches(b, 'fd.port=53'), false);
      assert.equal(matches(b, 'fd.ip="0.0.0.0"'), true);
      assert.equal(matches(b, 'fd.ip="::"'), true);
      assert.equal(matches(b, 'fd.net="0.0.0.0/8"'), type === FdType.Ipv4);
      assert.equal(matches(b, 'fd.net="127.0.0.0/8"'), false);
      // printed fields stay absent, as sysdig prints them
      assert.deepEqual(['fd.cip', 'fd.sip', 'fd.cport', 'fd.l4proto'].map((f) => read(b, f)), [null, null, null, null]);
    });
  }
  test('a connected socket compares both sides and not the unspecified address', () => {
    const b = new BatchBuilder();
    const fd = b.fd({ type: FdType.Ipv4, l4proto: L4Proto.Tcp, sip: '10.1.2.3', sport: 40000, dip: '127.0.0.1', dport: 80, role: FdRole.Client });
    b.event('connect', { proc: b.proc({}), fd, args: { res: 0 } });
    assert.equal(matches(b, 'fd.port=40000'), true);
    assert.equal(matches(b, 'fd.port=80'), true);
    assert.equal(matches(b, 'fd.port=0'), false);
    assert.equal(matches(b, 'fd.net="127.0.0.0/8"'), true);
    assert.equal(matches(b, 'fd.ip="0.0.0.0"'), false);
  });
});
