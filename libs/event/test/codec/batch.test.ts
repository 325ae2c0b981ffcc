import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CodecError, FdRole, FdType, L4Proto, MetadataState, NO_REF, SCHEMA_VERSION, SchemaVersionError, SocketFamily,
  decodeBatch, emptyBatch, encodeBatch, encodeBatchPruning,
  type ArgValue, type ContainerInfo, type EventBatch, type FdInfo, type ProcessInfo, type SyscallEvent,
} from '../../src/index.ts';
import { realisticBatch } from '../batch-fixture.ts';

const HEADER = 26;

/** Every ArgValue variant, with the edges of each. */
const EVERY_ARG: ArgValue[] = [
  null,
  0, 1, -1, 127, 128, -129, 2 ** 31, -(2 ** 31), 2 ** 52 - 1, -(2 ** 52) + 1,
  2 ** 53 + 2, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, Number.MAX_VALUE, -Number.MIN_VALUE,
  3.25, -0, NaN, Infinity, -Infinity,
  0n, 1n, -1n, (1n << 63n) - 1n, -(1n << 63n), (1n << 64n) - 1n, 1n << 64n, -(1n << 63n) - 1n, -(1n << 200n) + 7n,
  '', 'x', '/etc/shadow', 'ünïcödé ✓ 日本語 🦅', '\uFEFFbom first', '\0nul\0inside',
  [], ['a'], ['sh', '-c', 'echo 🦅 > /tmp/ü'],
  new Uint8Array(0), new Uint8Array([0, 1, 2, 255, 0x80]),
  { family: SocketFamily.Inet, addr: '10.0.0.1', port: 443 },
  { family: SocketFamily.Inet6, addr: '2001:db8::1', port: 65535 },
  { family: SocketFamily.Unix, addr: '/run/containerd/containerd.sock', port: 0 },
  { family: SocketFamily.Inet, sip: '10.244.1.10', sport: 51234, dip: '10.96.0.10', dport: 53 },
  { family: SocketFamily.Inet6, sip: '::1', sport: 1, dip: 'fe80::1', dport: 2 },
];

function container(k8s: boolean, privileged: boolean | null): ContainerInfo {
  return {
    id: 'f'.repeat(64), type: 'containerd', name: 'web', image: 'nginx:1.27', imageRepository: 'nginx', imageTag: '1.27',
    imageDigest: 'sha256:' + '0'.repeat(64), imageId: '1'.repeat(64), privileged,
    mounts: [
      { source: '/var/run/docker.sock', dest: '/var/run/docker.sock', mode: 'rw', rdwr: true, propagation: 'rprivate' },
      { source: '/', dest: '/host', mode: 'ro', rdwr: false, propagation: 'rslave' },
    ],
    startTs: 1_795_000_000_123_456_789n,
    k8s: k8s
      ? {
          nsName: 'default', nsLabels: { 'kubernetes.io/metadata.name': 'default', ['__proto__']: 'evil', constructor: 'x' },
          podName: 'web-5d8f', podUid: 'c0ffee00-0000-4000-8000-000000000001', podIp: 'fd00::5',
          podLabels: {}, workloadKind: 'Deployment', workloadName: 'web',
        }
      : null,
    metadata: k8s ? MetadataState.Complete : MetadataState.TimedOut,
  };
}

function proc(i: number, parent: number, containerRef: number, env: string[] | null): ProcessInfo {
  return {
    pid: 4_194_304 - i, ppid: 1, vpid: 1, sid: 0, vpgid: -5, parent, container: containerRef,
    name: 'bash', exe: '-bash', exepath: '/usr/bin/bash', args: ['-c', 'ls -la ü'], env, cwd: '/root',
    tty: 34816, uid: 4294967294, gid: 0, loginuid: -1, user: 'root', loginuser: '', group: 'root', homedir: '/root',
    shell: '/bin/bash', startTs: (1n << 64n) - 1n, capPermitted: 0x1ffffffffffn, capEffective: 0n,
    capInheritable: 1n << 70n, flags: 0b11011, pidns: 4026531836,
  };
}

function fd(num: number, type: FdType, role: FdRole): FdInfo {
  return {
    num, type, name: type === FdType.Ipv6 ? '[::1]:1->[::1]:2' : '/etc/passwd', openFlags: 0o2101101, dev: 2 ** 40,
    ino: 2 ** 52 - 1, l4proto: type === FdType.Ipv6 ? L4Proto.Tcp : L4Proto.Unknown, sip: '::1', sport: 1, dip: '::1',
    dport: 2, role,
  };
}

function event(num: number, procRef: number, fdRef: number, args: ArgValue[]): SyscallEvent {
  return { num, ts: BigInt(num) * 1_000_000_007n, type: 2, dir: 1, cpu: 127, tid: -1, proc: procRef, fd: fdRef, res: -4095, args };
}

/** Every record type and field value shape the schema allows, in one batch. */
function fullBatch(): EventBatch {
  return {
    schema: SCHEMA_VERSION, node: 'node-ü-1', cluster: 'prod', seq: 2 ** 52 - 1,
    containers: [container(true, false), container(false, null), container(true, true)],
    // proc 0's parent comes later in the table; the decoder must accept forward references.
    procs: [proc(0, 2, 0, null), proc(1, NO_REF, NO_REF, []), proc(2, 1, 2, ['A=1', 'PATH=/bin', 'Ü=✓'])],
    fds: [fd(0, FdType.File, FdRole.None), fd(3, FdType.Ipv6, FdRole.Server), fd(-1, FdType.Pidfd, FdRole.Client)],
    events: [
      event(0, 0, NO_REF, EVERY_ARG),
      event(1, NO_REF, 2, []),
      event(-7, 2, 1, [EVERY_ARG[35]!, EVERY_ARG[35]!]),
    ],
  };
}

const roundTrip = (b: EventBatch): EventBatch => decodeBatch(encodeBatch(b));

function throwsCodec(data: Uint8Array, offset: number, reason: RegExp): void {
  assert.throws(() => decodeBatch(data), (err: unknown) => {
    assert.ok(err instanceof CodecError, `expected CodecError, got ${String(err)}`);
    assert.equal(err.offset, offset);
    assert.match(err.reason, reason);
    return true;
  });
}

describe('batch codec round trip', () => {
  it('keeps every field and every ArgValue variant', () => {
    const b = fullBatch();
    assert.deepStrictEqual(roundTrip(b), b);
  });

  it('keeps a realistic 1,000-event batch in under 55 bytes per event, read from inside a larger buffer', () => {
    const b = realisticBatch(7);
    const bytes = encodeBatch(b);
    assert.deepStrictEqual(decodeBatch(bytes), b);
    // NATS hands out views into its read buffer: a non-zero byteOffset must not matter.
    const pool = Buffer.alloc(bytes.length + 13);
    pool.set(bytes, 7);
    assert.deepStrictEqual(decodeBatch(pool.subarray(7, 7 + bytes.length)), b);
    assert.ok(bytes.length < 55 * b.events.length, `${bytes.length} bytes for ${b.events.length} events`);
  });

  it('keeps an empty batch in a header plus three bytes', () => {
    const b = emptyBatch('', 0);
    const bytes = encodeBatch(b);
    assert.equal(bytes.length, HEADER + 3);
    assert.deepStrictEqual(decodeBatch(bytes), b);
  });

  it('keeps huge strings, unicode and __proto__ labels', () => {
    const b = emptyBatch('n', 1);
    const huge = 'a'.repeat(1 << 20) + '🦅';
    const wide = 'ü日🦅'.repeat(50_000);
    b.events.push(event(1, NO_REF, NO_REF, [huge, wide, [huge, wide, huge], '🦅', 'ü']));
    b.containers.push(container(true, null));
    const out = roundTrip(b);
    assert.deepStrictEqual(out, b);
    assert.equal(Object.getPrototypeOf(out.containers[0]!.k8s!.nsLabels), Object.prototype);
    assert.equal(out.containers[0]!.k8s!.nsLabels['__proto__'], 'evil');
  });

  it('keeps timestamps and nums that jump, go backwards, and leave the 64-bit range', () => {
    const b = emptyBatch('n', 1);
    const stamps = [0n, 1n, 1_795_000_000_000_000_000n, 1_795_000_000_000_004_000n, 5n, -1n, -(1n << 63n), 1n << 80n, (1n << 80n) + 3n, (1n << 64n) - 1n];
    const nums = [0, 2 ** 51 - 1, -(2 ** 51) + 1, 5, 4, 3, 2 ** 40, 0, -1, 7];
    stamps.forEach((ts, i) => b.events.push({ ...event(nums[i]!, NO_REF, NO_REF, []), ts }));
    assert.deepStrictEqual(roundTrip(b), b);
  });

  it('writes consecutive events in a few bytes each: num and ts as differences', () => {
    const b = emptyBatch('n', 1);
    for (let i = 0; i < 100; i++) b.events.push({ ...event(1_000_000 + i, NO_REF, NO_REF, []), ts: 1_795_000_000_000_000_000n + BigInt(i * 3_000) });
    // num 1 · ts 2 (3,000 ns) · type 1 · dir 1 · cpu 2 · tid 1 · proc 1 · fd 1 · res 2 · argc 1 = 13 bytes
    const perEvent = (encodeBatch(b).length - encodeBatch({ ...b, events: b.events.slice(0, 1) }).length) / 99;
    assert.equal(perEvent, 13);
    assert.deepStrictEqual(roundTrip(b), b);
  });

  it('keeps a batch of minimal events (no args, small values: 10 bytes each)', () => {
    const b = emptyBatch('n', 1);
    for (let i = 1; i <= 3; i++) b.events.push({ num: i, ts: BigInt(i), type: 0, dir: 1, cpu: 0, tid: 1, proc: NO_REF, fd: NO_REF, res: 0, args: [] });
    assert.deepStrictEqual(roundTrip(b), b);
  });

  it('writes a repeated string once and then as a reference', () => {
    const b = emptyBatch('n', 1);
    const path = '/usr/local/bin/some-long-binary-name';
    b.events.push(event(1, NO_REF, NO_REF, [path]), event(2, NO_REF, NO_REF, [path]));
    const once = encodeBatch({ ...b, events: [b.events[0]!] }).length;
    // The second event costs its fixed fields plus a one-byte reference, not the path again.
    assert.ok(encodeBatch(b).length - once < path.length, `second copy cost ${encodeBatch(b).length - once} bytes`);
    assert.deepStrictEqual(roundTrip(b), b);
  });

  it('keeps arbitrary argument lists (property)', () => {
    const sockaddr = fc.record({ family: fc.constantFrom(0, 1, 2, 10, 16) as fc.Arbitrary<SocketFamily>, addr: fc.string({ unit: 'binary' }), port: fc.integer({ min: 0, max: 65535 }) });
    const tuple = fc.record({
      family: fc.constantFrom(2, 10) as fc.Arbitrary<SocketFamily>, sip: fc.string(), sport: fc.nat(65535), dip: fc.string(), dport: fc.nat(65535),
    });
    const arg: fc.Arbitrary<ArgValue> = fc.oneof(
      fc.constant(null), fc.double(), fc.integer(), fc.maxSafeInteger(), fc.bigInt(), fc.string({ unit: 'binary' }),
      fc.array(fc.string({ unit: 'binary' }), { maxLength: 5 }), fc.uint8Array({ maxLength: 40 }), sockaddr, tuple,
    );
    fc.assert(
      fc.property(fc.array(fc.array(arg, { maxLength: 8 }), { maxLength: 6 }), (argLists) => {
        const b = emptyBatch('n', 1);
        argLists.forEach((args, i) => b.events.push(event(i, NO_REF, NO_REF, args)));
        assert.deepStrictEqual(roundTrip(b), b);
      }),
      { numRuns: 300 },
    );
  });
});

describe('batch codec errors', () => {
  it('refuses a non-integer or out-of-range schema integer on encode', () => {
    const b = fullBatch();
    b.procs[1]!.pid = 1.5;
    assert.throws(() => encodeBatch(b), (err: unknown) => err instanceof CodecError && /proc pid must be an integer/.test(err.reason));
    const c = emptyBatch('n', 2 ** 53);
    assert.throws(() => encodeBatch(c), (err: unknown) => err instanceof CodecError && /seq/.test(err.reason));
  });

  it('refuses an argument outside ArgValue (undefined) as a CodecError; encodeBatchPruning leaves only that event out', () => {
    const b = emptyBatch('n', 1);
    for (let i = 1; i <= 3; i++) b.events.push(event(i, NO_REF, NO_REF, ['/etc/hosts', i]));
    b.events[1]!.args[1] = undefined as unknown as ArgValue;
    assert.throws(() => encodeBatch(b), (err: unknown) => err instanceof CodecError && /undefined is not an ArgValue/.test(err.reason));
    const { data, pruned, error } = encodeBatchPruning(b);
    assert.deepEqual(pruned.map((e) => e.num), [2]);
    assert.ok(error instanceof CodecError);
    assert.deepEqual(decodeBatch(data).events.map((e) => e.num), [1, 3]);
    const good = emptyBatch('n', 2);
    good.events.push(event(1, NO_REF, NO_REF, []));
    assert.deepEqual(encodeBatchPruning(good).pruned, []);
  });

  it('refuses an event num outside (-2^51, 2^51) on encode', () => {
    const b = emptyBatch('n', 0);
    b.events.push(event(2 ** 51, NO_REF, NO_REF, []));
    assert.throws(() => encodeBatch(b), (err: unknown) => err instanceof CodecError && /event num must be an integer/.test(err.reason));
  });

  it('refuses an unknown enumeration value on encode, naming the field', () => {
    const b = fullBatch();
    (b.fds[1] as { type: number }).type = 300;
    assert.throws(() => encodeBatch(b), (err: unknown) => err instanceof CodecError && err.reason === 'fd type 300 is not a known value');
  });

  it('names the offset of a truncated header, bad magic and a length mismatch', () => {
    const bytes = encodeBatch(fullBatch());
    throwsCodec(bytes.subarray(0, 10), 10, /truncated header/);
    const bad = bytes.slice();
    bad[0] = 0x51;
    throwsCodec(bad, 0, /bad magic/);
    throwsCodec(bytes.subarray(0, bytes.length - 1), 6, new RegExp(`header says ${bytes.length} bytes, message has ${bytes.length - 1}`));
  });

  it('reports the schema version it found', () => {
    const bytes = encodeBatch(fullBatch());
    bytes[4] = 2;
    assert.throws(() => decodeBatch(bytes), (err: unknown) => err instanceof SchemaVersionError && err.found === 2 && err.expected === SCHEMA_VERSION);
  });

  it('points at the byte of an unknown argument tag', () => {
    const b = emptyBatch('n', 0);
    b.events.push(event(0, NO_REF, NO_REF, [null]));
    const bytes = encodeBatch(b);
    bytes[bytes.length - 1] = 99;
    throwsCodec(bytes, bytes.length - 1, /unknown arg tag 99/);
  });

  it('points at a reference outside its table', () => {
    const b = emptyBatch('n', 0);
    b.events.push({ ...event(0, 5, NO_REF, []), ts: 0n });
    // header 26 · node 2 · cluster 1 · seq 1 · num 1 · ts 1 (0n after 0n) · type 1 · dir 1 · cpu 2 · tid 1 → proc at 37
    throwsCodec(encodeBatch(b), 37, /event proc 5 outside \[-1, 0\)/);
  });

  it('refuses a count larger than the bytes left, before allocating', () => {
    const bytes = encodeBatch(emptyBatch('n', 0));
    new DataView(bytes.buffer).setUint32(22, 0xffffffff, true);
    throwsCodec(bytes, 22, /header count of events 4294967295 exceeds the message size/);
  });

  it('refuses bytes after the last event', () => {
    const bytes = encodeBatch(emptyBatch('n', 0));
    const longer = new Uint8Array(bytes.length + 2);
    longer.set(bytes);
    new DataView(longer.buffer).setUint32(6, longer.length, true);
    throwsCodec(longer, bytes.length, /2 bytes left after the last event/);
  });

  it('refuses invalid UTF-8 and a reference to a string not yet seen', () => {
    const b = emptyBatch('n', 0);
    b.events.push(event(0, NO_REF, NO_REF, ['abcdefghij'.repeat(5)]));
    const bytes = encodeBatch(b);
    const strStart = bytes.length - 50;
    const badUtf8 = bytes.slice();
    badUtf8[strStart + 3] = 0xff;
    throwsCodec(badUtf8, strStart, /arg is not valid UTF-8/);
    const badRef = encodeBatch(emptyBatch('n', 0));
    badRef[HEADER + 2] = 2 * 7; // cluster: "the string numbered 7"
    throwsCodec(badRef, HEADER + 2, /cluster refers to string 7 of 1/);
  });
});
