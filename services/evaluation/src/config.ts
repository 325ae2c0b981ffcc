/**
 * The evaluation stage's config section: `rules` (rules files or directories of them, loaded in order; default our
 * own `rules/` directory) plus the
 * rules engine's keys (rule_selection, min_priority, rule_matching, time_format_iso_8601, append_output; see
 * @peregrine/rules), and `watch_rules` (reload when a rules file changes; default true).
 *
 * Without an `append_output` key the stage uses DEFAULT_APPEND_OUTPUT: every `syscall` rule gets the extra_fields
 * container.id, container.name, container.image.repository, k8s.ns.name and k8s.pod.name in output_fields (not in
 * the text). Upstream rules dropped `%container.info`, and a Kubernetes user needs the pod and container of an alert.
 * Fields a rule's output already has keep their place. `append_output: []` turns this off.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { RulesConfigError, parseRulesConfig, type RulesConfig } from '@peregrine/rules';

/** The repository's `rules/` directory: our default rules. */
export const DEFAULT_RULES_DIR = fileURLToPath(new URL('../../../rules/', import.meta.url));

export const DEFAULT_APPEND_OUTPUT = [
  {
    match: { source: 'syscall' },
    extra_fields: ['container.id', 'container.name', 'container.image.repository', 'k8s.ns.name', 'k8s.pod.name'],
  },
] as const;

export interface EvaluationConfig {
  rules: string[];
  watchRules: boolean;
  engine: RulesConfig;
}

/** Every *.yaml in our rules/ directory, in name order (so numbered files load in sequence). */
export function defaultRulesFiles(): string[] {
  return readdirSync(DEFAULT_RULES_DIR)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(DEFAULT_RULES_DIR, f));
}

export function parseEvaluationConfig(raw: Record<string, unknown>): EvaluationConfig {
  let rules: string[];
  if (raw.rules === undefined) rules = [DEFAULT_RULES_DIR];
  else if (Array.isArray(raw.rules) && raw.rules.every((r) => typeof r === 'string') && raw.rules.length > 0) rules = raw.rules;
  else if (typeof raw.rules === 'string' && raw.rules.length > 0) rules = [raw.rules];
  else throw new RulesConfigError('rules', 'must be a non-empty list of rules files');
  if (raw.watch_rules !== undefined && typeof raw.watch_rules !== 'boolean') {
    throw new RulesConfigError('watch_rules', 'must be true or false');
  }
  const engine = parseRulesConfig(raw.append_output === undefined ? { ...raw, append_output: DEFAULT_APPEND_OUTPUT } : raw);
  return { rules, watchRules: raw.watch_rules !== false, engine };
}
