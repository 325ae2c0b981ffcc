/**
 * Which alerts a destination takes: a minimum priority, plus allow- and deny-lists of rule names, tags, Kubernetes
 * namespaces (`output_fields['k8s.ns.name']`) and sources. An empty allow-list allows everything; a deny-list wins
 * over an allow-list. Compiled once into sets so the per-alert check allocates nothing.
 */
import { parsePriority, priorityLevel, type Alert, type Priority } from '@peregrine/event';
import { priority, strList, tree, type Tree } from './config-reader.ts';

export interface RouteSpec {
  minimumPriority: Priority;
  rules: string[];
  tags: string[];
  namespaces: string[];
  sources: string[];
  exceptRules: string[];
  exceptTags: string[];
  exceptNamespaces: string[];
  exceptSources: string[];
}

export type RouteCheck = (alert: Alert) => boolean;

/** Reads `minimumPriority` and `route: {rules, tags, namespaces, sources, except: {…}}` of one destination. */
export function readRoute(dest: Tree, path: string): RouteSpec {
  const route = tree(dest.route, `${path}.route`);
  const except = tree(route.except, `${path}.route.except`);
  return {
    minimumPriority: priority(dest, 'minimumPriority', path, 'Debug'),
    rules: strList(route, 'rules', `${path}.route`),
    tags: strList(route, 'tags', `${path}.route`),
    namespaces: strList(route, 'namespaces', `${path}.route`),
    sources: strList(route, 'sources', `${path}.route`),
    exceptRules: strList(except, 'rules', `${path}.route.except`),
    exceptTags: strList(except, 'tags', `${path}.route.except`),
    exceptNamespaces: strList(except, 'namespaces', `${path}.route.except`),
    exceptSources: strList(except, 'sources', `${path}.route.except`),
  };
}

const NS_FIELD = 'k8s.ns.name';

export function compileRoute(spec: RouteSpec): RouteCheck {
  const minLevel = priorityLevel(spec.minimumPriority);
  const allow = {
    rules: spec.rules.length ? new Set(spec.rules) : null,
    tags: spec.tags.length ? new Set(spec.tags) : null,
    namespaces: spec.namespaces.length ? new Set(spec.namespaces) : null,
    sources: spec.sources.length ? new Set(spec.sources) : null,
  };
  const deny = {
    rules: new Set(spec.exceptRules),
    tags: new Set(spec.exceptTags),
    namespaces: new Set(spec.exceptNamespaces),
    sources: new Set(spec.exceptSources),
  };
  const anyTag = (tags: string[], set: Set<string>) => tags.some((t) => set.has(t));
  return (alert) => {
    const p = parsePriority(alert.priority);
    // An alert with an unknown priority is treated as most severe: better delivered than lost.
    if (p !== undefined && priorityLevel(p) > minLevel) return false;
    const ns = alert.output_fields[NS_FIELD];
    const nsName = typeof ns === 'string' ? ns : '';
    if (deny.rules.has(alert.rule) || deny.sources.has(alert.source) || deny.namespaces.has(nsName)) return false;
    if (deny.tags.size && anyTag(alert.tags, deny.tags)) return false;
    if (allow.rules && !allow.rules.has(alert.rule)) return false;
    if (allow.sources && !allow.sources.has(alert.source)) return false;
    if (allow.namespaces && !allow.namespaces.has(nsName)) return false;
    if (allow.tags && !anyTag(alert.tags, allow.tags)) return false;
    return true;
  };
}
