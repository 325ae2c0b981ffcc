import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SocketFamily } from '@peregrine/event';
import { LAYOUT } from '../src/abi.ts';
import { resolvePath } from '@peregrine/event';
import { cString, joinComponents, sockaddr, socketTuple, StringInterner } from '../src/record-text.ts';

function sockaddrIn(port: number, ip: number[]): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(2, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(ip).copy(b, 4);
  return b;
}

describe('record text', () => {
  it('joins leaf-first path components', () => {
    assert.equal(joinComponents(Buffer.from('cat\0bin\0usr\0'), 0, 12), '/usr/bin/cat');
    assert.equal(joinComponents(Buffer.alloc(0), 0, 0), '/');
  });

  it('reads a C string only up to its NUL', () => {
    assert.equal(cString(Buffer.from('sh\0\0\0garbage'), 0, 16), 'sh');
    assert.equal(cString(Buffer.from('abc'), 0, 3), 'abc');
  });

  it('interns C strings: what cString reads, the same string again on a repeat, never another string\'s', () => {
    const one = new StringInterner(1, 8); // one slot: every string collides with the last
    const bytes = Buffer.from('/etc/hostname\0/etc/hosts\0sh\0\0abcdefghijklmnop\0é\0');
    const cases: [number, number][] = [[0, 20], [14, 20], [14, 5], [25, 16], [28, 30], [46, 4], [0, 0]];
    for (const [start, len] of cases) {
      for (const interner of [one, new StringInterner()]) {
        assert.equal(interner.cString(bytes, start, len), cString(bytes, start, len), `at ${start}, ${len}`);
      }
    }
    const many = new StringInterner();
    const first = many.cString(bytes, 0, 20);
    const again = many.cString(Buffer.from(bytes), 0, 20);
    assert.equal(again, '/etc/hostname');
    assert.equal(first, again);
    assert.equal(one.cString(bytes, 14, 20), '/etc/hosts');
    assert.equal(one.cString(bytes, 0, 20), '/etc/hostname');
    assert.equal(one.cString(bytes, 14, 20), '/etc/hosts');
  });

  it('resolves relative paths against a base and normalises', () => {
    assert.equal(resolvePath('/tmp/d', 'a.txt'), '/tmp/d/a.txt');
    assert.equal(resolvePath('/tmp/d', '../x/./y'), '/tmp/x/y');
    assert.equal(resolvePath('/', '/etc//passwd'), '/etc/passwd');
    assert.equal(resolvePath('/anything', '/etc/shadow'), '/etc/shadow');
  });

  it('decodes IPv4, IPv6, unix and abstract sockaddrs', () => {
    assert.deepEqual(sockaddr(sockaddrIn(8080, [127, 0, 0, 1]), 0, 16), { family: SocketFamily.Inet, addr: '127.0.0.1', port: 8080 });
    const v6 = Buffer.alloc(28);
    v6.writeUInt16LE(10, 0);
    v6.writeUInt16BE(443, 2);
    v6[23] = 1; // ::1
    assert.deepEqual(sockaddr(v6, 0, 28), { family: SocketFamily.Inet6, addr: '::1', port: 443 });
    const unix = Buffer.concat([Buffer.from([1, 0]), Buffer.from('/run/app.sock\0')]);
    assert.deepEqual(sockaddr(unix, 0, unix.length), { family: SocketFamily.Unix, addr: '/run/app.sock', port: 0 });
    const abstract = Buffer.concat([Buffer.from([1, 0, 0]), Buffer.from('hidden')]);
    assert.deepEqual(sockaddr(abstract, 0, abstract.length), { family: SocketFamily.Unix, addr: '@hidden', port: 0 });
    assert.equal(sockaddr(Buffer.from([2]), 0, 1), null);
  });

  it('orients a socket tuple client first: for accept the peer is the client', () => {
    const S = LAYOUT.pg_syscall;
    const rec = Buffer.alloc(S.$size);
    rec.writeUInt16LE(2, S.sk_family);
    Buffer.from([10, 0, 0, 1]).copy(rec, S.saddr);
    Buffer.from([10, 0, 0, 2]).copy(rec, S.daddr);
    rec.writeUInt16LE(80, S.sport);
    rec.writeUInt16LE(51000, S.dport);
    assert.deepEqual(socketTuple(rec, 0, false), { family: SocketFamily.Inet, sip: '10.0.0.1', sport: 80, dip: '10.0.0.2', dport: 51000 });
    assert.deepEqual(socketTuple(rec, 0, true), { family: SocketFamily.Inet, sip: '10.0.0.2', sport: 51000, dip: '10.0.0.1', dport: 80 });
  });
});
