/**
 * The capture stage: loads the kernel side, asks evaluation which event types the rules need (default set if nobody
 * answers), re-asks on rule reload, emits batches, serves the node's kill action, and reports drops as metrics and
 * as a rate-limited Falco-style internal alert.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';
import { actionTaken, EVENT_TYPES_REQUEST, nodeAction, RULES_RELOADED } from '@peregrine/bus';
import type { Alert, EventBatch } from '@peregrine/event';
import type { SourceContext, SourceStage, StageInit } from '@peregrine/runtime';
import { Capture, type CaptureStats } from './capture.ts';
import { killIfStartMatches, missingPrivileges } from './driver.ts';
import { CaptureConfigError, MissingPrivilegeError } from './errors.ts';
import { DEFAULT_RULE_EVENT_TYPES, SYSCALLS } from './syscalls.ts';
import { epochToBootNs } from './clock.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const TICK_NS = 10_000_000n;

export interface CaptureStageConfig {
  ringBytes: number;
  batchEvents: number;
  batchDelayMs: number;
  captureEnv: boolean;
  eventTypesTimeoutMs: number;
  dropAlertIntervalMs: number;
}

const DEFAULTS: CaptureStageConfig = {
  ringBytes: 16 << 20, batchEvents: 1000, batchDelayMs: 100, captureEnv: false, eventTypesTimeoutMs: 2000,
  dropAlertIntervalMs: 60_000,
};

export function parseConfig(raw: Record<string, unknown>): CaptureStageConfig {
  const cfg = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof CaptureStageConfig)[]) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== typeof DEFAULTS[key]) throw new CaptureConfigError(key, `expected a ${typeof DEFAULTS[key]}, got ${JSON.stringify(v)}`);
    (cfg as Record<string, unknown>)[key] = v;
  }
  if (cfg.ringBytes < 4096 || (cfg.ringBytes & (cfg.ringBytes - 1)) !== 0) throw new CaptureConfigError('ringBytes', 'must be a power of two ≥ 4096');
  return cfg;
}

/**
 * Evaluation's EVENT_TYPES_REQUEST reply and RULES_RELOADED payload: `{ eventTypes: string[] | null }` (null: some
 * rule needs every type), or a bare array. undefined when unreadable.
 */
export function parseEventTypes(data: Uint8Array): string[] | 'all' | undefined {
  try {
    const v = JSON.parse(dec.decode(data)) as unknown;
    const list = Array.isArray(v) ? v : (v as { eventTypes?: unknown }).eventTypes;
    if (list === null) return 'all';
    return Array.isArray(list) && list.every((t) => typeof t === 'string') ? list : undefined;
  } catch {
    return undefined;
  }
}

const ALL_EVENT_TYPES = SYSCALLS.map((d) => d.event);

/** The kill action: `{ pid, startTs, signal }` → `{ killed, reason? }` (the output stage's KillRequest/KillReply). */
export function serveKill(data: Uint8Array): { killed: boolean; reason?: string } {
  let req: { pid?: unknown; startTs?: unknown; signal?: unknown };
  try { req = JSON.parse(dec.decode(data)) as typeof req; } catch { return { killed: false, reason: 'unreadable request' }; }
  const pid = req.pid;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1 || typeof req.startTs !== 'string' || !/^\d+$/.test(req.startTs)) {
    return { killed: false, reason: 'bad request: needs pid and startTs' };
  }
  const signal = typeof req.signal === 'string' ? constants.signals[req.signal as keyof typeof constants.signals] : constants.signals.SIGKILL;
  if (signal === undefined) return { killed: false, reason: `unknown signal ${String(req.signal)}` };
  // proc.pid.ts is the start in ns since the epoch; /proc/<pid>/stat counts clock ticks since boot
  const ticks = Number(epochToBootNs(BigInt(req.startTs)) / TICK_NS);
  const result = killIfStartMatches(pid, ticks, signal);
  if (result === 'killed') return { killed: true };
  return { killed: false, reason: result === 'gone' ? 'no such process' : 'start time mismatch' };
}

export function dropAlert(node: string, stats: CaptureStats, kernelDelta: number, userDelta: number): Alert {
  const now = new Date();
  return {
    uuid: randomUUID(),
    time: `${now.toISOString().slice(0, -1)}000000Z`,
    rule: 'Falco internal: syscall event drop',
    priority: 'Debug',
    source: 'internal',
    hostname: node,
    output: `Falco internal: syscall event drop. ${kernelDelta + userDelta} system calls dropped in last interval.`,
    tags: [],
    output_fields: {
      'n_drops': kernelDelta + userDelta, 'n_drops_buffer': kernelDelta, 'n_drops_batch': userDelta,
      'n_evts': stats.events,
    },
  };
}

/**
 * `init` loads and attaches the kernel side, scans /proc and starts draining with the default event types, so that
 * when the host logs `ready` events are already being captured; batches wait for `run` to hand over `emitBatch`
 * (bounded by the batcher's in-flight limit). `run` then asks evaluation which event types its rules need (in
 * `run --all`, evaluation is initialised after capture, so it can only answer now) and publishes.
 */
export function createCaptureStage(): SourceStage {
  let capture: Capture | null = null;
  let cfg: CaptureStageConfig = DEFAULTS;
  let handOver: (emit: (batch: EventBatch) => Promise<void>) => void = () => undefined;
  const emitter = new Promise<(batch: EventBatch) => Promise<void>>((resolve) => { handOver = resolve; });
  const stop = () => {
    capture?.stop();
    capture = null;
  };

  const toSelection = (types: string[] | 'all') => (types === 'all' ? ALL_EVENT_TYPES : types);
  const askEventTypes = async (init: StageInit): Promise<string[]> => {
    try {
      const reply = await init.control.request(EVENT_TYPES_REQUEST, enc.encode(init.node), cfg.eventTypesTimeoutMs);
      const types = parseEventTypes(reply);
      if (types) return toSelection(types);
      init.logger.warn('capture: unreadable event types reply, using the default set');
    } catch {
      init.logger.info('capture: no answer on event types, using the default set');
    }
    return [...DEFAULT_RULE_EVENT_TYPES];
  };

  const init = (init: StageInit): void => {
    const missing = missingPrivileges();
    if (missing.length > 0) throw new MissingPrivilegeError(missing);
    cfg = parseConfig(init.config);
    const running = new Capture(
      { node: init.node, driver: { ringBytes: cfg.ringBytes, captureEnv: cfg.captureEnv }, batch: { maxEvents: cfg.batchEvents, maxDelayMs: cfg.batchDelayMs } },
      async (batch) => (await emitter)(batch),
    );
    try {
      running.start(DEFAULT_RULE_EVENT_TYPES);
    } catch (err) {
      running.stop();
      throw err;
    }
    capture = running;
    init.control.serve(RULES_RELOADED, async (data) => {
      const types = parseEventTypes(data);
      const n = running.setEventTypes(types ? toSelection(types) : await askEventTypes(init));
      init.logger.info('capture: selection re-applied', { syscalls: n });
    });
    init.control.serve(nodeAction(init.node, 'kill'), async (data) => {
      const reply = enc.encode(JSON.stringify(serveKill(data)));
      await init.control.publish(actionTaken('kill'), reply).catch(() => undefined);
      return reply;
    });
  };

  return {
    kind: 'source',
    name: 'capture',
    init,
    async run(ctx: SourceContext) {
      if (!capture) init(ctx); // called without the host's init (a direct caller)
      const running = capture!;
      handOver((batch) => ctx.emitBatch(batch));
      running.setEventTypes(await askEventTypes(ctx));
      ctx.logger.info('capture: running', { syscalls: running.selectedSyscalls });

      const kernelDrops = ctx.metrics.counter('peregrine_capture_kernel_drops_total', 'records the ring buffer had no room for');
      const batchDrops = ctx.metrics.counter('peregrine_capture_batch_drops_total', 'events dropped under downstream backpressure');
      const eventsTotal = ctx.metrics.counter('peregrine_capture_events_total', 'events captured');
      const procsGauge = ctx.metrics.gauge('peregrine_capture_threads', 'processes in the thread table');
      const fdsGauge = ctx.metrics.gauge('peregrine_capture_fds', 'fds in the fd tables');
      const tableEvents = ctx.metrics.counter('peregrine_capture_table_total', 'thread table bookkeeping', ['what']);
      let last = running.stats();
      let lastAlert = 0;
      const tick = setInterval(() => {
        const s = running.stats();
        const kd = s.kernelDrops - last.kernelDrops;
        const ud = s.droppedEvents - last.droppedEvents;
        kernelDrops.inc(undefined, kd);
        batchDrops.inc(undefined, ud);
        eventsTotal.inc(undefined, s.events - last.events);
        procsGauge.set(s.procs);
        fdsGauge.set(s.fds);
        tableEvents.inc({ what: 'miss' }, s.procMisses - last.procMisses);
        tableEvents.inc({ what: 'evicted' }, s.procsEvicted - last.procsEvicted);
        tableEvents.inc({ what: 'pruned' }, s.procsPruned - last.procsPruned);
        tableEvents.inc({ what: 'bad_record' }, s.badRecords - last.badRecords);
        if (kd + ud > 0 && Date.now() - lastAlert >= cfg.dropAlertIntervalMs) {
          lastAlert = Date.now();
          ctx.emitAlert(dropAlert(ctx.node, s, kd, ud)).catch(() => undefined);
        }
        last = s;
      }, 1000);

      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      clearInterval(tick);
      stop();
    },
    close: stop,
  };
}
