/**
 * The evaluation stage: runs each enriched batch through the loaded Falco rules and emits an alert per match.
 *
 * It answers capture's EVENT_TYPES_REQUEST with the event types the rules need (null = every type), and publishes
 * RULES_RELOADED with the same payload after each successful reload, so capture can narrow or widen its kernel-side
 * selection. Rules reload on SIGHUP and on file changes; a failed reload keeps the running rules.
 */
import type { Alert, EventBatch } from '@peregrine/event';
import type { BatchStage, HandlerContext, Logger, StageInit } from '@peregrine/runtime';
import { EVENT_TYPES_REQUEST, RULES_RELOADED } from '@peregrine/bus';
import { RulesLoadError, RulesReloader, formatDiagnostic, hostResolver, type Ruleset } from '@peregrine/rules';
import { parseEvaluationConfig, type EvaluationConfig } from './config.ts';

type Counter = ReturnType<StageInit['metrics']['counter']>;

/** How long init waits for the first answers to host names named in conditions. */
const HOST_NAMES_WAIT_MS = 2000;

/** The payload of EVENT_TYPES_REQUEST replies and RULES_RELOADED messages (JSON: control traffic only). */
export interface EventTypesMessage {
  /** evt.type names the active rules need; null when some rule has no gate and capture must send everything. */
  eventTypes: string[] | null;
  rules: number;
}

export function eventTypesMessage(ruleset: Ruleset): Uint8Array {
  const msg: EventTypesMessage = { eventTypes: ruleset.eventTypes(), rules: ruleset.activeRules.length };
  return new TextEncoder().encode(JSON.stringify(msg));
}

export class EvaluationStage implements BatchStage {
  readonly kind = 'batch' as const;
  readonly name = 'evaluation';
  private reloader!: RulesReloader;
  private logger!: Logger;
  private matches!: Counter;
  private failures!: Counter;

  async init(init: StageInit): Promise<void> {
    this.logger = init.logger;
    const config = parseEvaluationConfig(init.config);
    this.matches = init.metrics.counter('peregrine_rule_matches_total', 'Events that matched a rule', ['rule', 'priority']);
    this.failures = init.metrics.counter('peregrine_evaluation_failures_total', 'Events whose evaluation threw (malformed records)');
    const reloads = init.metrics.counter('peregrine_rules_reloads_total', 'Successful rules reloads');
    this.reloader = await this.startReloader(init, config, reloads);
    // Host names in conditions (fd.sip.name = …) resolve in the background; give the first answers a moment so the
    // first events already compare against them, but never hold the stage on a slow resolver.
    await Promise.race([hostResolver.settled(), new Promise((r) => setTimeout(r, HOST_NAMES_WAIT_MS).unref())]);
    const ruleset = this.reloader.current;
    for (const d of ruleset.diagnostics) this.logger.warn('rules warning', { warning: formatDiagnostic(d) });
    this.logger.info('rules loaded', { files: config.rules, rules: ruleset.activeRules.length, eventTypes: ruleset.eventTypes()?.length ?? 'all' });
    init.control.serve(EVENT_TYPES_REQUEST, () => eventTypesMessage(this.reloader.current));
  }

  /** Loads the rules; a load error is logged in full (every place, with carets) before it fails the init. */
  private async startReloader(init: StageInit, config: EvaluationConfig, reloads: Counter): Promise<RulesReloader> {
    try {
      return await RulesReloader.start({
        files: config.rules,
        config: config.engine,
        logger: init.logger,
        watchFiles: config.watchRules,
        onReload: (ruleset) => {
          reloads.inc();
          init.control.publish(RULES_RELOADED, eventTypesMessage(ruleset)).catch((err: unknown) => {
            this.logger.warn('could not announce rules reload', { error: String(err) });
          });
        },
      });
    } catch (e) {
      if (e instanceof RulesLoadError) this.logger.error('rules did not load', { errors: e.errors.map(formatDiagnostic) });
      throw e;
    }
  }

  /** The ruleset in use now (swapped whole on reload). */
  get ruleset(): Ruleset {
    return this.reloader.current;
  }

  handle(batch: EventBatch, ctx: HandlerContext): void {
    const ruleset = this.reloader.current;
    const hits = new Map<string, number>();
    const emit = (alert: Alert) => {
      hits.set(alert.rule, (hits.get(alert.rule) ?? 0) + 1);
      this.matches.inc({ rule: alert.rule, priority: alert.priority });
      ctx.emitAlert(alert);
    };
    let failed = 0;
    let firstError = '';
    let count = 0;
    try {
      count = ruleset.evaluate(batch, emit, (err) => {
        // One malformed event must not cost the rest of the batch: count it and go on.
        if (failed++ === 0) firstError = String(err);
      });
    } catch (err) {
      // Only a batch too broken to walk gets here (no events array); what matched before has been emitted.
      failed++;
      firstError = String(err);
    }
    if (failed > 0) {
      this.failures.inc(undefined, failed);
      this.logger.error('evaluation failed for events of a batch', { node: batch.node, seq: batch.seq, events: failed, error: firstError });
      ctx.span.setAttribute('peregrine.evaluation.failed_events', failed);
    }
    ctx.span.setAttribute('peregrine.events', Array.isArray(batch.events) ? batch.events.length : 0);
    ctx.span.setAttribute('peregrine.rule_matches', count);
    for (const [rule, n] of hits) ctx.span.addEvent('rule.match', { rule, matches: n });
  }

  close(): void {
    this.reloader?.close();
  }
}
