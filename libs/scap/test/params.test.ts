import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeParam, decodeSockAddr, decodeSockTuple } from '../src/params.ts';
import { ipv6String } from '../src/metadata.ts';

test('integers by width and sign, 64-bit values as bigint, strings up to the NUL', () => {
  const b = Buffer.alloc(16);
  b.writeBigInt64LE(-2n, 0);
  assert.equal(decodeParam(b, 0, 8, 'errno', false), -2);
  assert.equal(decodeParam(b, 0, 8, 'uint64', false), 0xfffffffffffffffen);
  b.writeUInt32LE(0x1201, 8);
  assert.equal(decodeParam(b, 8, 4, 'flags32', false), 0x1201);
  assert.equal(decodeParam(b, 8, 2, 'uint16', false), 0x1201);
  const s = Buffer.from('/etc/passwd\0junk');
  assert.equal(decodeParam(s, 0, s.length, 'fspath', false), '/etc/passwd');
  assert.deepEqual(decodeParam(Buffer.from('-6\0http://x\0'), 0, 12, 'bytebuf', true), ['-6', 'http://x']);
  assert.equal(decodeParam(Buffer.from([0x28, 0x01]), 0, 2, 'syscallid', false), 'arch_prctl');
});

test('socket addresses and tuples for inet, inet6 and unix', () => {
  const v4 = Buffer.from([2, 127, 0, 0, 1, 0x50, 0x00]);
  assert.deepEqual(decodeSockAddr(v4, 0, v4.length), { family: 2, addr: '127.0.0.1', port: 80 });
  const t4 = Buffer.from([2, 10, 0, 0, 1, 0x39, 0x30, 8, 8, 8, 8, 53, 0]);
  assert.deepEqual(decodeSockTuple(t4, 0, t4.length), { family: 2, sip: '10.0.0.1', sport: 12345, dip: '8.8.8.8', dport: 53 });
  const unix = Buffer.concat([Buffer.from([1]), Buffer.alloc(8), Buffer.from([0, 8, 0x42, 0x3c, 0, 0x88, 0xff, 0xff]), Buffer.from('/run/s\0')]);
  assert.deepEqual(decodeSockTuple(unix, 0, unix.length), { family: 1, sip: '0', sport: 0, dip: 'ffff88003c420800 /run/s', dport: 0 });
});

test('IPv6 text is canonical', () => {
  const a = (hex: string) => ipv6String(Buffer.from(hex, 'hex'));
  assert.equal(a('00000000000000000000000000000001'), '::1');
  assert.equal(a('20010db8000000000000000000000003'), '2001:db8::3');
  assert.equal(a('2607f8b0400408020000000000002004'), '2607:f8b0:4004:802::2004');
  assert.equal(a('00000000000000000000ffff7f000001'), '::ffff:127.0.0.1');
  assert.equal(a('20010db8000100000001000000000001'), '2001:db8:1:0:1::1');
});
