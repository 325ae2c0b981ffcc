/**
 * Which loaded rules run, and how: Falco's falco.yaml selection (`enable`/`disable` by rule-name glob or tag,
 * applied in order), the minimum priority, and `rule_matching`.
 *
 * Config keys (the evaluation stage's section, snake_case as in falco.yaml):
 *   rules: [FILE or DIRECTORY…]     # (read by the evaluation stage) loaded in order
 *   rule_selection: [{ disable: { rule: "Read sensitive*" } }, { enable: { tag: "container" } }]
 *   min_priority: notice            # rules below this priority do not run
 *   rule_matching: first | all      # first: stop at the first matching rule per event (Falco's default)
 *   time_format_iso_8601: false     # the time prefix of `output`
 *   append_output: [{ match: { source, tags, rule }, extra_output, extra_fields }]   # see append-output.ts
 */
import { parsePriority, type Priority } from '@peregrine/event';
import { RulesConfigError } from '../errors.ts';
import { parseAppendOutput, type AppendOutputEntry } from './append-output.ts';

export const RuleMatching = { First: 'first', All: 'all' } as const;
export type RuleMatching = (typeof RuleMatching)[keyof typeof RuleMatching];

export interface SelectionStep {
  action: 'enable' | 'disable';
  /** A glob over rule names (`*`, `?`, `[…]`), or null. */
  rule: string | null;
  tag: string | null;
}

export interface RulesConfig {
  selection: SelectionStep[];
  minPriority: Priority;
  ruleMatching: RuleMatching;
  timeFormatIso8601: boolean;
  /** Applied at load, in order, to the rules each entry matches. */
  appendOutput: readonly AppendOutputEntry[];
}

export const DEFAULT_RULES_CONFIG: RulesConfig = {
  selection: [],
  minPriority: 'Debug',
  ruleMatching: RuleMatching.First,
  timeFormatIso8601: false,
  appendOutput: [],
};

/** Reads the config keys above from a stage's config section; throws RulesConfigError naming the key. */
export function parseRulesConfig(raw: Record<string, unknown>): RulesConfig {
  const out: RulesConfig = { ...DEFAULT_RULES_CONFIG, selection: [] };
  if (raw.min_priority !== undefined) {
    const p = typeof raw.min_priority === 'string' ? parsePriority(raw.min_priority) : undefined;
    if (!p) throw new RulesConfigError('min_priority', `'${String(raw.min_priority)}' is not a Falco priority`);
    out.minPriority = p;
  }
  if (raw.rule_matching !== undefined) {
    if (raw.rule_matching !== 'first' && raw.rule_matching !== 'all') {
      throw new RulesConfigError('rule_matching', `'${String(raw.rule_matching)}' must be 'first' or 'all'`);
    }
    out.ruleMatching = raw.rule_matching;
  }
  if (raw.time_format_iso_8601 !== undefined) {
    if (typeof raw.time_format_iso_8601 !== 'boolean') throw new RulesConfigError('time_format_iso_8601', 'must be true or false');
    out.timeFormatIso8601 = raw.time_format_iso_8601;
  }
  if (raw.rule_selection !== undefined) {
    if (!Array.isArray(raw.rule_selection)) throw new RulesConfigError('rule_selection', 'must be a list');
    raw.rule_selection.forEach((step, i) => out.selection.push(parseStep(step, i)));
  }
  if (raw.append_output !== undefined) out.appendOutput = parseAppendOutput(raw.append_output);
  return out;
}

function parseStep(step: unknown, i: number): SelectionStep {
  const key = `rule_selection[${i}]`;
  if (typeof step !== 'object' || step === null) throw new RulesConfigError(key, 'must be { enable: … } or { disable: … }');
  const entries = Object.entries(step);
  const [action, spec] = entries[0] ?? [];
  if (entries.length !== 1 || (action !== 'enable' && action !== 'disable')) {
    throw new RulesConfigError(key, 'must have exactly one key, enable or disable');
  }
  const s = (spec ?? {}) as Record<string, unknown>;
  const rule = typeof s.rule === 'string' ? s.rule : null;
  const tag = typeof s.tag === 'string' ? s.tag : null;
  if ((rule === null) === (tag === null)) throw new RulesConfigError(key, `${action} needs exactly one of rule (a name glob) or tag`);
  return { action, rule, tag };
}
