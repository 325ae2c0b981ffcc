/**
 * `fd.sip.name = NAME` and friends: names in conditions resolve forward (an injected lookup here, and /etc/hosts
 * through the system resolver), and the fd's address is compared with the name's current addresses.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FdRole, FdType, L4Proto } from '@peregrine/event';
import { compileCondition } from '../../src/filter/compiler.ts';
import { HostResolver, type HostLookup } from '../../src/filter/host-names.ts';
import { parseCondition } from '../../src/filter/parser.ts';
import { BatchBuilder } from '../ruleset/batch-builder.ts';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readCapture, replayBatches } from '@peregrine/scap';
import { SCAP_DIR } from '../../../../tests/support/shared.ts';

const API = 'kubernetes.default.svc.cluster.local';

/** A lookup answering from a table that the test changes; names not in it fail as ENOTFOUND would. */
function tableLookup(table: Map<string, string[]>, calls: string[] = []): HostLookup {
  return async (name) => {
    calls.push(name);
    const found = table.get(name);
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return found;
  };
}

/** A connect from 10.1.2.3:40000 (client, this process) to dip:443. */
function connectTo(dip: string, type: FdType = FdType.Ipv4) {
  const b = new BatchBuilder();
  const sip = type === FdType.Ipv4 ? '10.1.2.3' : 'fd00::3';
  const fd = b.fd({ type, l4proto: L4Proto.Tcp, sip, sport: 40000, dip, dport: 443, role: FdRole.Client, name: `${sip}:40000->${dip}:443` });
  const ev = b.event('connect', { proc: b.proc({ name: 'curl' }), fd, args: { res: 0 } });
  return { batch: b.batch, ev };
}

function compile(cond: string, resolver: HostResolver) {
  return compileCondition(parseCondition(cond), { macros: new Map(), lists: new Map(), hostResolver: resolver });
}

describe('host names in conditions resolve forward', () => {
  test('fd.sip.name = NAME matches a connection to one of its addresses once resolved', async () => {
    const table = new Map([[API, ['10.96.0.1', '10.96.0.2']]]);
    const calls: string[] = [];
    const resolver = new HostResolver(tableLookup(table, calls), 0);
    const f = compile(`fd.sip.name="${API}"`, resolver);
    await resolver.settled();
    assert.deepEqual(calls, [API]);
    const one = connectTo('10.96.0.1');
    assert.equal(f.match(one.batch, one.ev), true);
    const two = connectTo('10.96.0.2');
    assert.equal(f.match(two.batch, two.ev), true);
    const other = connectTo('10.96.0.9');
    assert.equal(f.match(other.batch, other.ev), false);
  });

  test('the cip, lip and rip forms check their side of the connection', async () => {
    const resolver = new HostResolver(tableLookup(new Map([['client.example', ['10.1.2.3']], ['api.example', ['10.96.0.1']]])), 0);
    const checks = {
      'fd.cip.name=client.example': true, 'fd.cip.name=api.example': false,
      'fd.lip.name=client.example': true, 'fd.rip.name=api.example': true, 'fd.rip.name=client.example': false,
    };
    const filters = Object.entries(checks).map(([cond, want]) => [compile(cond, resolver), want, cond] as const);
    await resolver.settled();
    const { batch, ev } = connectTo('10.96.0.1');
    for (const [f, want, cond] of filters) assert.equal(f.match(batch, ev), want, cond);
  });

  test('in takes several names, != negates, and an IPv6 address compares in canonical form', async () => {
    const resolver = new HostResolver(tableLookup(new Map([['a.example', ['10.0.0.1']], ['v6.example', ['FD00:0:0::1']]])), 0);
    const inList = compile('fd.sip.name in (a.example, v6.example)', resolver);
    const notA = compile('fd.sip.name != a.example', resolver);
    await resolver.settled();
    const v4 = connectTo('10.0.0.1');
    const v6 = connectTo('fd00::1', FdType.Ipv6);
    const elsewhere = connectTo('10.0.0.7');
    assert.deepEqual([v4, v6, elsewhere].map((c) => inList.match(c.batch, c.ev)), [true, true, false]);
    assert.deepEqual([v4, v6, elsewhere].map((c) => notA.match(c.batch, c.ev)), [false, true, true]);
  });

  test('an unresolvable name matches nothing and nothing throws, even from a lookup that throws', async () => {
    const throwing: HostLookup = () => {
      throw new Error('resolver exploded');
    };
    for (const lookup of [tableLookup(new Map()), throwing]) {
      const resolver = new HostResolver(lookup, 0);
      const f = compile('fd.sip.name=nowhere.invalid', resolver);
      await resolver.settled();
      const { batch, ev } = connectTo('10.96.0.1');
      assert.equal(f.match(batch, ev), false);
      assert.equal(compile('fd.sip.name!=nowhere.invalid', resolver).match(batch, ev), true);
    }
  });

  test('a refresh picks up changed addresses; a failed refresh leaves the name with none', async () => {
    const table = new Map([[API, ['10.96.0.1']]]);
    const resolver = new HostResolver(tableLookup(table), 0);
    const f = compile(`fd.sip.name=${API}`, resolver);
    await resolver.settled();
    const old = connectTo('10.96.0.1');
    const moved = connectTo('10.96.0.50');
    assert.deepEqual([f.match(old.batch, old.ev), f.match(moved.batch, moved.ev)], [true, false]);
    table.set(API, ['10.96.0.50']);
    await resolver.refresh();
    assert.deepEqual([f.match(old.batch, old.ev), f.match(moved.batch, moved.ev)], [false, true]);
    table.delete(API);
    await resolver.refresh();
    assert.deepEqual([f.match(old.batch, old.ev), f.match(moved.batch, moved.ev)], [false, false]);
  });

  test('a slow earlier lookup finishing last does not overwrite a newer answer', async () => {
    let releaseSlow: (v: string[]) => void = () => {};
    const slow: HostLookup = () => new Promise((r) => (releaseSlow = r));
    const resolver = new HostResolver(slow, 0);
    const f = compile(`fd.sip.name=${API}`, resolver);
    const swapped = resolver.useLookup(async () => ['10.96.0.1']);
    await new Promise((r) => setImmediate(r));
    releaseSlow(['10.96.0.99']);
    await swapped;
    const { batch, ev } = connectTo('10.96.0.1');
    assert.equal(f.match(batch, ev), true);
    const stale = connectTo('10.96.0.99');
    assert.equal(f.match(stale.batch, stale.ev), false);
  });

  test('the background refresh runs on its interval without anyone asking', async () => {
    const calls: string[] = [];
    const resolver = new HostResolver(tableLookup(new Map([[API, ['10.96.0.1']]]), calls), 20);
    try {
      compile(`fd.sip.name=${API}`, resolver);
      const deadline = Date.now() + 5000;
      while (calls.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(calls.length >= 3, `${calls.length} lookups`);
    } finally {
      resolver.stop();
    }
  });

  test('fd.sip.name prints the watched name the address resolves to, else is absent', async () => {
    const resolver = new HostResolver(tableLookup(new Map([[API, ['10.96.0.1']]])), 0);
    compile(`fd.sip.name=${API}`, resolver);
    await resolver.settled();
    assert.equal(resolver.nameOf('10.96.0.1'), API);
    assert.equal(resolver.nameOf('10.96.0.2'), null);
  });

  test('localhost resolves through /etc/hosts with the system resolver and matches a loopback connection', async () => {
    const resolver = new HostResolver(undefined, 0);
    const f = compile('fd.sip.name=localhost', resolver);
    await resolver.settled();
    const loopback = connectTo('127.0.0.1');
    assert.equal(f.match(loopback.batch, loopback.ev), true);
    const remote = connectTo('93.184.216.34');
    assert.equal(f.match(remote.batch, remote.ev), false);
  });

  test('over a real capture, fd.sip.name=localhost selects the loopback connect sysdig selects', async () => {
    const file = join(SCAP_DIR, 'falco-connect_localhost.scap');
    const cond = 'fd.sip.name=localhost';
    const want = execFileSync('sysdig', ['-r', file, '-p', '%evt.num', cond], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    assert.ok(want.length > 0, 'sysdig selects the connect');
    const resolver = new HostResolver(undefined, 0);
    const f = compile(cond, resolver);
    await resolver.settled();
    const got: number[] = [];
    for (const b of replayBatches(readCapture(file))) for (const ev of b.events) if (f.match(b, ev)) got.push(ev.num);
    assert.deepEqual(got, want);
  });
});
