/**
 * A loaded, immutable set of rules, indexed by event type: an event meets only the rules whose gate includes its
 * type (plus the ungated ones). Reload builds a new Ruleset and swaps it in whole.
 */
import { EVENT_TYPES, atLeast, eventTypeByName, type Alert, type EventBatch, type SyscallEvent } from '@peregrine/event';
import type { Diagnostic } from '../errors.ts';
import type { CompiledRule } from '../loader/compile.ts';
import { buildAlert } from './alert.ts';
import { DEFAULT_RULES_CONFIG, RuleMatching, type RulesConfig } from './config.ts';
import { globToRegExp } from '../filter/glob.ts';

/** A rule as `rules list` shows it. */
export interface RuleSummary {
  name: string;
  priority: string;
  source: string;
  tags: readonly string[];
  enabled: boolean;
}

export class Ruleset {
  /** Every compiled rule in load order, with the state configuration gave it. */
  readonly rules: readonly CompiledRule[];
  readonly diagnostics: readonly Diagnostic[];
  readonly config: RulesConfig;
  private readonly active: readonly CompiledRule[];
  /** byType[code]: the active rules that can match events of that type, in load order. */
  private readonly byType: CompiledRule[][];
  private readonly enabledState: ReadonlyMap<CompiledRule, boolean>;
  private readonly first: boolean;
  private readonly iso8601: boolean;
  /** Matches per rule name since this ruleset was loaded. */
  readonly hits = new Map<string, number>();

  constructor(rules: readonly CompiledRule[], diagnostics: readonly Diagnostic[] = [], config: RulesConfig = DEFAULT_RULES_CONFIG) {
    this.rules = rules;
    this.diagnostics = diagnostics;
    this.config = config;
    this.first = config.ruleMatching === RuleMatching.First;
    this.iso8601 = config.timeFormatIso8601;
    const state = new Map<CompiledRule, boolean>();
    for (const r of rules) state.set(r, r.enabled);
    for (const step of config.selection) {
      const re = step.rule === null ? null : globToRegExp(step.rule);
      for (const r of rules) {
        if (re ? re.test(r.name) : r.tags.includes(step.tag!)) state.set(r, step.action === 'enable');
      }
    }
    this.enabledState = state;
    this.active = rules.filter((r) => state.get(r) && atLeast(r.priority, config.minPriority));
    this.byType = EVENT_TYPES.map(() => []);
    for (const r of this.active) {
      if (r.eventTypes === null) {
        for (const bucket of this.byType) bucket.push(r);
        continue;
      }
      for (const name of r.eventTypes) {
        const t = eventTypeByName(name);
        if (t) this.byType[t.code]!.push(r);
      }
    }
  }

  /** The rules that run (enabled and at or above the minimum priority). */
  get activeRules(): readonly CompiledRule[] {
    return this.active;
  }

  isEnabled(rule: CompiledRule): boolean {
    return this.enabledState.get(rule) === true;
  }

  summaries(): RuleSummary[] {
    return this.rules.map((r) => ({
      name: r.name,
      priority: r.priority,
      source: r.source,
      tags: r.tags,
      enabled: this.active.includes(r),
    }));
  }

  /**
   * The event types the active rules need, for capture's kernel-side selection: null when any active rule has no
   * gate (capture must then send everything).
   */
  eventTypes(): string[] | null {
    const out = new Set<string>();
    for (const r of this.active) {
      if (r.eventTypes === null) return null;
      for (const t of r.eventTypes) out.add(t);
    }
    return [...out].sort();
  }

  /**
   * Runs every event of the batch through the rules it can meet; calls onAlert per match and returns the match
   * count. An event whose evaluation throws (a malformed record) goes to onError, and the rest of the batch still
   * runs; without onError the error is thrown.
   */
  evaluate(batch: EventBatch, onAlert: (alert: Alert) => void, onError?: (error: unknown, event: SyscallEvent) => void): number {
    const events = batch.events;
    let matches = 0;
    for (let e = 0; e < events.length; e++) {
      const ev = events[e]!;
      const bucket = this.byType[ev.type];
      if (bucket === undefined || bucket.length === 0) continue;
      try {
        matches += this.evaluateEvent(bucket, batch, ev, onAlert);
      } catch (err) {
        if (!onError) throw err;
        onError(err, ev);
      }
    }
    return matches;
  }

  private evaluateEvent(bucket: CompiledRule[], batch: EventBatch, ev: SyscallEvent, onAlert: (alert: Alert) => void): number {
    let matches = 0;
    for (let i = 0; i < bucket.length; i++) {
      const rule = bucket[i]!;
      if (!rule.filter.match(batch, ev)) continue;
      const alert = buildAlert(rule, batch, ev, this.iso8601);
      matches++;
      this.hits.set(rule.name, (this.hits.get(rule.name) ?? 0) + 1);
      onAlert(alert);
      if (this.first) break;
    }
    return matches;
  }
}
