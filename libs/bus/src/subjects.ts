/**
 * Every NATS subject Peregrine uses is built here. Stages and tests import these builders and never write subject
 * strings themselves.
 */
import type { Priority } from '@peregrine/event';
import { BusConfigError } from './errors.ts';

/** A subject token must not contain '.', '*', '>' or white space. Node names are sanitised the same way. */
export function subjectToken(text: string): string {
  const t = text.replace(/[.*>\s]+/g, '_');
  return t.length > 0 ? t : '_';
}

/** capture → enrichment */
export const rawEvents = (node: string) => `events.raw.${subjectToken(node)}`;
export const RAW_EVENTS_ALL = 'events.raw.*';

/** enrichment → evaluation (consumed as a queue group) */
export const enrichedEvents = (node: string) => `events.enriched.${subjectToken(node)}`;
export const ENRICHED_EVENTS_ALL = 'events.enriched.*';

/** Into a user stage plugged into the pipeline by module path: the runtime wires the stage before it here. */
export const stageInput = (stage: string, node: string) => `events.stage.${subjectToken(stage)}.${subjectToken(node)}`;
export const stageInputAll = (stage: string) => `events.stage.${subjectToken(stage)}.*`;

/**
 * Where a batch stage reads its input, by stage name: enrichment and evaluation keep their fixed subjects, any other
 * stage (a user stage plugged in by module path) reads `events.stage.<name>.<node>`. The stage before it in the
 * pipeline publishes there.
 */
export function batchInput(stage: string, node: string): string {
  if (stage === 'enrichment') return rawEvents(node);
  if (stage === 'evaluation') return enrichedEvents(node);
  return stageInput(stage, node);
}
export function batchInputAll(stage: string): string {
  if (stage === 'enrichment') return RAW_EVENTS_ALL;
  if (stage === 'evaluation') return ENRICHED_EVENTS_ALL;
  return stageInputAll(stage);
}

/** Every inter-stage batch subject above: the events stream keeps them all. */
export const EVENTS_ALL = 'events.>';

/** Falcosidekick's convention: lowercased rule, every run of non-alphanumerics → '_', trimmed of '_'. */
export function ruleSlug(rule: string): string {
  return rule.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** falco.<priority>.<rule_slug> */
export const alertSubject = (priority: Priority, rule: string) => `falco.${priority.toLowerCase()}.${ruleSlug(rule)}`;
export const ALERTS_ALL = 'falco.>';

/**
 * The alert subject made configurable, as falcosidekick's `subjecttemplate`: `<priority>`, `<rule>`, `<source>` and
 * `<hostname>` become the alert's values made subject-safe (priority lowercased, rule slugged as above, the others as
 * tokens). The default template renders `alertSubject()` (a rule with an empty slug gets `_`, keeping the subject
 * valid). Compile once at load; a template that cannot
 * render a valid subject is a BusConfigError.
 */
export const DEFAULT_ALERT_SUBJECT_TEMPLATE = 'falco.<priority>.<rule>';
export type AlertSubjectFields = { priority: string; rule: string; source: string; hostname: string };
const ALERT_TOKEN = /<(priority|rule|source|hostname)>/g;

export function alertSubjectTemplate(template: string = DEFAULT_ALERT_SUBJECT_TEMPLATE): (alert: AlertSubjectFields) => string {
  const literal = template.replace(ALERT_TOKEN, 'x');
  if (/[\s*>]/.test(literal) || literal.startsWith('.') || literal.endsWith('.') || literal.includes('..')) {
    throw new BusConfigError('subjectTemplate', `${JSON.stringify(template)} does not render a valid NATS subject`);
  }
  const parts: Array<string | ((a: AlertSubjectFields) => string)> = [];
  let last = 0;
  for (const m of template.matchAll(ALERT_TOKEN)) {
    parts.push(template.slice(last, m.index));
    const name = m[1] as keyof AlertSubjectFields;
    parts.push(name === 'priority' ? (a) => subjectToken(a.priority.toLowerCase())
      : name === 'rule' ? (a) => ruleSlug(a.rule) || '_'
      : (a) => subjectToken(a[name]));
    last = m.index! + m[0].length;
  }
  parts.push(template.slice(last));
  return (alert) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(alert);
    return out;
  };
}

/** Every subject a template can render, for the alerts stream and consumers: each placeholder becomes `*`. */
export const alertSubjectWildcard = (template: string = DEFAULT_ALERT_SUBJECT_TEMPLATE) => template.replace(ALERT_TOKEN, '*');

/**
 * What the alerts stream keeps and alert consumers read for a template: `falco.>` for the default (as before the
 * template was configurable, so existing streams and durables keep their subjects), else the template's wildcard.
 */
export const alertsFilter = (template: string = DEFAULT_ALERT_SUBJECT_TEMPLATE) =>
  template === DEFAULT_ALERT_SUBJECT_TEMPLATE ? ALERTS_ALL : alertSubjectWildcard(template);

/** Responses sent back to one node's capture agent, e.g. actions.<node>.kill */
export const nodeAction = (node: string, action: string) => `actions.${subjectToken(node)}.${subjectToken(action)}`;
export const NODE_ACTIONS_ALL = (node: string) => `actions.${subjectToken(node)}.>`;

/** Every response taken is published here too, e.g. peregrine.actions.kill */
export const actionTaken = (action: string) => `peregrine.actions.${subjectToken(action)}`;

/** capture asks evaluation which event types the loaded rules need (request/reply), and hears about reloads */
export const EVENT_TYPES_REQUEST = 'peregrine.rules.eventtypes';
export const RULES_RELOADED = 'peregrine.rules.reloaded';

/**
 * A batch that produced an alert must have a complete trace even when unsampled: the stage that raised the alert
 * publishes the trace id here and every stage exports the spans it kept buffered for it.
 */
export const KEEP_TRACE = 'peregrine.trace.keep';

/** JetStream streams */
export const ALERTS_STREAM = 'PEREGRINE_ALERTS';
export const EVENTS_STREAM = 'PEREGRINE_EVENTS';
