/**
 * Every NATS subject Peregrine uses is built here. Stages and tests import these builders and never write subject
 * strings themselves.
 */
import type { Priority } from '@peregrine/event';

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

/** Falcosidekick's convention: lowercased rule, every run of non-alphanumerics → '_', trimmed of '_'. */
export function ruleSlug(rule: string): string {
  return rule.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** falco.<priority>.<rule_slug> */
export const alertSubject = (priority: Priority, rule: string) => `falco.${priority.toLowerCase()}.${ruleSlug(rule)}`;
export const ALERTS_ALL = 'falco.>';

/** Responses sent back to one node's capture agent, e.g. actions.<node>.kill */
export const nodeAction = (node: string, action: string) => `actions.${subjectToken(node)}.${subjectToken(action)}`;
export const NODE_ACTIONS_ALL = (node: string) => `actions.${subjectToken(node)}.>`;

/** Every response taken is published here too, e.g. peregrine.actions.kill */
export const actionTaken = (action: string) => `peregrine.actions.${subjectToken(action)}`;

/** capture asks evaluation which event types the loaded rules need (request/reply), and hears about reloads */
export const EVENT_TYPES_REQUEST = 'peregrine.rules.eventtypes';
export const RULES_RELOADED = 'peregrine.rules.reloaded';

/** JetStream streams */
export const ALERTS_STREAM = 'PEREGRINE_ALERTS';
