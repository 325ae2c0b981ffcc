/**
 * The output stage: per alert, run the responses and hand the alert to flood control, which passes it on to every
 * destination's runner. `handle()` resolves once every destination delivered the alert or durably queued it in its
 * own spool (or flood control journalled it), so the host's ack after `handle()` never loses an alert; a destination
 * that is down only grows its spool.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { trace, type Span } from '@opentelemetry/api';
import type { Alert } from '@peregrine/event';
import type { AlertStage, HandlerContext, Logger, StageInit } from '@peregrine/runtime';
import { parseOutputConfig, type OutputConfig } from './config.ts';
import { buildDestination } from './destinations/build.ts';
import { FloodControl } from './flood.ts';
import { ResponseEngine } from './responses/engine.ts';
import { KubeActions } from './responses/kube.ts';
import { loadResponseRules } from './responses/rules.ts';
import { compileRoute } from './route.ts';
import { DestinationRunner } from './runner.ts';
import { Spool } from './spool.ts';

interface Running {
  config: OutputConfig;
  runners: DestinationRunner[];
  flood: FloodControl | null;
  responses: ResponseEngine | null;
  log: Logger;
  badAlerts: { inc(labels?: Record<string, string>, n?: number): void };
  onHup: () => void;
}

export const STAGE_NAME = 'output';

export function createOutputStage(): AlertStage {
  let run: Running | null = null;

  const fanOut = async (alert: Alert): Promise<void> => {
    await Promise.all(run!.runners.map((r) => r.submit(alert)));
  };
  /** Direct path: the outcome per destination is recorded on the alert's span, so its trace ends at delivery. */
  const fanOutTraced = async (alert: Alert, span: Span): Promise<void> => {
    const outcomes = await Promise.all(run!.runners.map((r) => r.submit(alert)));
    outcomes.forEach((outcome, i) => {
      if (outcome !== 'not_routed') span.addEvent('delivery', { 'peregrine.destination': run!.runners[i]!.destination.name, 'peregrine.delivery.outcome': outcome });
    });
  };

  return {
    kind: 'alert',
    name: STAGE_NAME,

    init(init: StageInit) {
      const config = parseOutputConfig(init.config);
      const m = init.metrics;
      const delivered = m.counter('peregrine_output_delivered_total', 'Alerts delivered, by destination', ['destination']);
      const queued = m.counter('peregrine_output_queued_total', 'Alerts put in a destination\'s retry spool', ['destination']);
      const failed = m.counter('peregrine_output_failed_total', 'Alerts a destination refused permanently', ['destination', 'reason']);
      const depth = m.gauge('peregrine_output_spool_depth', 'Alerts waiting in a destination\'s retry spool', ['destination']);
      const dedup = m.counter('peregrine_alerts_deduplicated_total', 'Alerts folded into an identical alert\'s count', ['rule']);
      const suppressed = m.counter('peregrine_alerts_suppressed_total', 'Alerts held back by the per-rule rate limit (reported in summaries)', ['rule']);
      const actions = m.counter('peregrine_responses_total', 'Response actions, by actionner and status', ['actionner', 'status']);
      const counters = {
        delivered: (destination: string) => delivered.inc({ destination }),
        queued: (destination: string) => queued.inc({ destination }),
        failed: (destination: string, reason: string) => failed.inc({ destination, reason }),
        spoolDepth: (destination: string, n: number) => depth.set(n, { destination }),
      };
      const runners = config.destinations.map((spec) => new DestinationRunner(
        buildDestination(spec, m),
        compileRoute(spec.route),
        Object.keys(spec.customFields).length ? spec.customFields : null,
        new Spool(join(config.stateDir, 'spool', spec.name)),
        config.retry, init.logger, counters,
      ));
      const journal = join(config.stateDir, 'flood.jsonl');
      // Also when flood control was switched off since the last run: what its journal still holds goes out.
      const floodNeeded = config.dedup.windowSeconds > 0 || config.rateLimit.perRule > 0 || existsSync(journal);
      const flood = !floodNeeded ? null : new FloodControl(config.dedup, config.rateLimit, journal, fanOut,
        { deduplicated: (rule) => dedup.inc({ rule }), suppressed: (rule) => suppressed.inc({ rule }),
          flushFailed: (err) => init.logger.error('flood control flush failed, retrying', { reason: (err as Error).message }) });
      let kube: KubeActions | undefined;
      const rules = config.responses.rulesFile ? loadResponseRules(config.responses.rulesFile) : [];
      const responses = rules.length === 0 ? null : new ResponseEngine(rules, {
        control: init.control,
        kube: () => (kube ??= new KubeActions(config.responses.kubeconfig)),
        log: init.logger,
        tracer: trace.getTracer('peregrine-output'),
        killTimeoutMs: config.responses.killTimeoutMs,
        webhookTimeoutMs: config.responses.webhookTimeoutMs,
        onAction: (r) => actions.inc({ actionner: r.actionner, status: r.status }),
      });
      const onHup = () => { for (const r of runners) r.destination.reopen?.(); };
      process.on('SIGHUP', onHup);
      run = { config, runners, flood, responses, log: init.logger, onHup,
        badAlerts: m.counter('peregrine_output_bad_alerts_total', 'Messages that were not alerts, dropped') };
    },

    async handle(alert: Alert, ctx: HandlerContext) {
      if (!run) throw new Error('output stage used before init');
      const problem = checkAlert(alert);
      if (problem) {
        run.badAlerts.inc();
        run.log.error('not an alert, dropped', { problem });
        return;
      }
      ctx.span.setAttribute('peregrine.alert.uuid', alert.uuid);
      const responding = run.responses?.run(alert, ctx.span);
      if (run.flood?.enabled) {
        // Held or counted by flood control: delivery happens later, outside this alert's span.
        ctx.span.setAttribute('peregrine.output.flood_control', true);
        await run.flood.admit(alert);
      } else {
        await fanOutTraced(alert, ctx.span);
      }
      const taken = await responding;
      if (taken?.length) ctx.span.setAttribute('peregrine.response.actions', taken.length);
    },

    async close() {
      if (!run) return;
      process.off('SIGHUP', run.onHup);
      await run.flood?.close();
      await Promise.all(run.runners.map((r) => r.close()));
      run = null;
    },
  };
}

/** The fields the output path reads; anything else is passed through untouched. */
function checkAlert(a: Alert): string | undefined {
  if (typeof a !== 'object' || a === null) return 'not an object';
  for (const k of ['uuid', 'time', 'rule', 'priority', 'source', 'hostname', 'output'] as const) {
    if (typeof a[k] !== 'string') return `${k} is not a string`;
  }
  if (!Array.isArray(a.tags)) return 'tags is not a list';
  if (typeof a.output_fields !== 'object' || a.output_fields === null) return 'output_fields is not a map';
  return undefined;
}
