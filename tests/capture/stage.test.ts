/**
 * The capture stage as a host runs it, over the in-memory bus's control channel: it asks for event types, emits
 * batches, captures from the moment the host logs `ready`, re-selects on RULES_RELOADED, serves the kill action (never hitting a reused pid), and without
 * CAP_BPF/CAP_PERFMON fails at once with one message naming what is missing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MemoryBus, EVENT_TYPES_REQUEST, RULES_RELOADED, nodeAction } from '@peregrine/bus';
import { eventTypeByCode, type Alert, type EventBatch } from '@peregrine/event';
import { createLogger, Host, type BatchStage, type SourceContext } from '@peregrine/runtime';
import createStage, { missingPrivileges } from '@peregrine/capture';

const root = process.getuid?.() === 0 && missingPrivileges().length === 0;
const enc = new TextEncoder();
const dec = new TextDecoder();
const noop = () => undefined;

function context(bus: MemoryBus, batches: EventBatch[], signal: AbortSignal): SourceContext {
  return {
    node: 'stage-node', config: { batchDelayMs: 20 }, control: bus.control, signal,
    logger: { debug: noop, info: noop, warn: noop, error: noop },
    metrics: { counter: () => ({ inc: noop }), gauge: () => ({ set: noop }) },
    emitBatch: async (b) => { batches.push(b); },
    emitAlert: async (_a: Alert) => undefined,
  };
}

const types = (batches: EventBatch[]) => new Set(batches.flatMap((b) => b.events.map((e) => eventTypeByCode(e.type)!.name)));

async function until(pred: () => boolean, ms = 4000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('capture stage', () => {
  it('without CAP_BPF and CAP_PERFMON it fails at once, naming what is missing', () => {
    const script = `import('@peregrine/capture').then(async (m) => { try { await m.default().init({}); } catch (e) { console.log(e.message); } })`;
    const node = [process.execPath, '--import', 'tsx', '-e', script];
    // as root, drop to nobody with no capabilities at all; as another user, we already lack them
    const argv = process.getuid?.() === 0
      ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', ...node]
      : node;
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', cwd: process.cwd() });
    assert.match(r.stdout, /capture needs root or CAP_BPF \+ CAP_PERFMON to load eBPF; missing: CAP_BPF, CAP_PERFMON/, r.stderr);
  });

  it('is capturing when the host logs ready: a mkdir run right at the ready line is captured', { skip: root ? false : 'needs root for eBPF' }, async () => {
    const dir = `/tmp/pg-ready-${process.pid}`;
    const seen: EventBatch[] = [];
    const sink: BatchStage = { kind: 'batch', name: 'sink', handle(b) { seen.push(b); } };
    let readyAt = 0;
    // the host writes `ready` synchronously before it starts the sources: act inside that very write
    const logger = createLogger({ sink: { write: (line) => {
      if (readyAt === 0 && line.includes('"msg":"ready"')) {
        readyAt = Date.now();
        execFileSync('/bin/mkdir', [dir]);
      }
    } } });
    const settings = { concurrency: 4, maxMessageBytes: 8 << 20, maxPendingBytes: 64 << 20, maxAckPending: 64, badInputLogIntervalMs: 1000, drainTimeoutMs: 5000, keepTraceGraceMs: 0 };
    const host = new Host({
      bus: new MemoryBus(), node: 'ready-node', settings, logger, http: null,
      stages: [
        { name: 'capture', stage: createStage(), config: { batchDelayMs: 20, eventTypesTimeoutMs: 100 }, next: 'sink' },
        { name: 'sink', stage: sink, config: {}, next: undefined },
      ],
    });
    try {
      await host.start();
      assert.ok(readyAt > 0, 'the host logged ready');
      const made = () => seen.flatMap((b) => b.events.filter((e) => {
        const name = eventTypeByCode(e.type)!.name;
        return (name === 'mkdir' || name === 'mkdirat') && e.args.includes(dir) && b.procs[e.proc]?.name === 'mkdir';
      }));
      await until(() => made().length > 0);
      assert.equal(made()[0].res, 0);
    } finally {
      await host.drain();
      spawnSync('/bin/rmdir', [dir]);
    }
  });

  it('selects what evaluation asks for, re-selects on reload, and kills only a matching start time', { skip: root ? false : 'needs root for eBPF' }, async () => {
    const bus = new MemoryBus();
    let answered = 0;
    bus.control.serve(EVENT_TYPES_REQUEST, () => { answered++; return enc.encode(JSON.stringify({ eventTypes: ['connect'], rules: 1 })); });
    const batches: EventBatch[] = [];
    const abort = new AbortController();
    const stage = createStage();
    assert.equal(stage.kind, 'source');
    const running = stage.kind === 'source' ? stage.run(context(bus, batches, abort.signal)) : Promise.resolve();
    try {
      await until(() => answered === 1);
      await new Promise((r) => setTimeout(r, 200));
      batches.length = 0; // until evaluation answered, the default set was selected
      execFileSync('/bin/sh', ['-c', 'cd / && mkdir -p /tmp/pg-stage-dir && rmdir /tmp/pg-stage-dir']);
      await until(() => types(batches).has('execve'));
      assert.equal(types(batches).has('mkdir') || types(batches).has('mkdirat'), false, 'mkdir is not selected yet');

      await bus.control.publish(RULES_RELOADED, enc.encode(JSON.stringify({ eventTypes: ['mkdirat', 'mkdir'], rules: 2 })));
      await new Promise((r) => setTimeout(r, 100));
      execFileSync('/bin/sh', ['-c', 'mkdir -p /tmp/pg-stage-dir && rmdir /tmp/pg-stage-dir']);
      await until(() => types(batches).has('mkdirat') || types(batches).has('mkdir'));

      const victim = spawn('/usr/bin/sleep', ['30']);
      await until(() => victim.pid !== undefined);
      const ticks = BigInt(readFileSync(`/proc/${victim.pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]);
      await until(() => batches.some((b) => b.procs.some((p) => p.pid === victim.pid && p.name === 'sleep')));
      const rec = batches.flatMap((b) => b.procs).find((p) => p.pid === victim.pid && p.name === 'sleep')!;
      assert.equal(rec.startTs / 10_000_000n > 0n, true);
      assert.ok(ticks > 0n);
      const kill = async (startTs: bigint) =>
        JSON.parse(dec.decode(await bus.control.request(nodeAction('stage-node', 'kill'), enc.encode(JSON.stringify({ pid: victim.pid, startTs: String(startTs), signal: 'SIGKILL' })), 2000)));
      assert.deepEqual(await kill(rec.startTs - 5_000_000_000n), { killed: false, reason: 'start time mismatch' });
      assert.equal(victim.exitCode, null);
      const exited = new Promise((r) => victim.on('exit', (_c, sig) => r(sig)));
      assert.deepEqual(await kill(rec.startTs), { killed: true });
      assert.equal(await exited, 'SIGKILL');
    } finally {
      abort.abort();
      await running;
    }
  });
});
