/**
 * The responses rules file (what Falco Talon's rules do). A YAML list of named actions and rules:
 *
 *   - action: Quarantine pod             # a reusable action
 *     actionner: kubernetes:networkpolicy
 *   - rule: Shell in a production pod
 *     match:
 *       rules: [Terminal shell in container]   # any of these rule names
 *       priority: ">=Warning"                  # >=, >, <=, <, =, != ; "greater" is more severe
 *       tags: [shell, "mitre_execution,container"]  # any item; an item "a,b" needs all of its tags
 *       output_fields: [k8s.ns.name=prod, proc.name!=sshd]  # all must hold
 *     actions:
 *       - action: Quarantine pod
 *       - action: Kill it
 *         actionner: process:kill
 *     dry_run: false        # run nothing for real: Kubernetes requests carry dryRun=All, kills are not sent
 *     continue: true        # false: stop evaluating later rules once this one matched
 *     ignore_errors: false  # true: a failed action does not stop the rule's next actions or later rules
 *
 * Everything is checked at load: a bad entry is a ResponseRulesError naming the file and the path in it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parsePriority, priorityLevel, type Alert } from '@peregrine/event';
import { ResponseRulesError } from '../errors.ts';

export const ACTIONNERS = ['process:kill', 'kubernetes:terminate', 'kubernetes:label', 'kubernetes:networkpolicy', 'http:webhook'] as const;
export type Actionner = (typeof ACTIONNERS)[number];

export interface ActionSpec {
  name: string;
  actionner: Actionner;
  parameters: Record<string, unknown>;
}

export interface ResponseRule {
  name: string;
  matches: (alert: Alert) => boolean;
  actions: ActionSpec[];
  dryRun: boolean;
  continue: boolean;
  ignoreErrors: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function loadResponseRules(file: string): ResponseRule[] {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ResponseRulesError(file, '', (err as Error).message);
  }
  return parseResponseRules(doc ?? [], file);
}

export function parseResponseRules(doc: unknown, file: string): ResponseRule[] {
  if (!Array.isArray(doc)) throw new ResponseRulesError(file, '', 'expected a list of actions and rules');
  const actions = new Map<string, ActionSpec>();
  const rules: ResponseRule[] = [];
  doc.forEach((item, i) => {
    const path = `[${i}]`;
    if (!isObj(item)) throw new ResponseRulesError(file, path, 'expected a map');
    if (typeof item.rule === 'string') rules.push(readRule(item, file, path, actions));
    else if (typeof item.action === 'string') actions.set(item.action, readAction(item, file, path, undefined));
    else throw new ResponseRulesError(file, path, 'expected an "action" or a "rule" entry');
  });
  return rules;
}

function readAction(item: Obj, file: string, path: string, base: ActionSpec | undefined): ActionSpec {
  const actionner = item.actionner ?? base?.actionner;
  if (typeof actionner !== 'string' || !(ACTIONNERS as readonly string[]).includes(actionner)) {
    throw new ResponseRulesError(file, `${path}.actionner`, `expected one of ${ACTIONNERS.join(', ')}`);
  }
  if (item.parameters !== undefined && !isObj(item.parameters)) throw new ResponseRulesError(file, `${path}.parameters`, 'expected a map');
  const spec: ActionSpec = { name: String(item.action), actionner: actionner as Actionner, parameters: { ...base?.parameters, ...(item.parameters as Obj | undefined) } };
  checkParameters(spec, file, `${path}.parameters`);
  return spec;
}

function checkParameters(spec: ActionSpec, file: string, path: string): void {
  const p = spec.parameters;
  if (spec.actionner === 'kubernetes:label') {
    if (!isObj(p.labels) || Object.keys(p.labels).length === 0) throw new ResponseRulesError(file, `${path}.labels`, 'expected a map of labels');
    for (const [k, v] of Object.entries(p.labels)) {
      if (v !== null && typeof v !== 'string') throw new ResponseRulesError(file, `${path}.labels.${k}`, 'expected a string, or null to remove');
    }
  }
  if (spec.actionner === 'http:webhook' && typeof p.url !== 'string') throw new ResponseRulesError(file, `${path}.url`, 'is required');
  if (spec.actionner === 'kubernetes:terminate' && p.grace_period_seconds !== undefined && typeof p.grace_period_seconds !== 'number') {
    throw new ResponseRulesError(file, `${path}.grace_period_seconds`, 'expected a number');
  }
  if (spec.actionner === 'process:kill' && p.signal !== undefined && (typeof p.signal !== 'string' || !/^SIG[A-Z0-9]+$/.test(p.signal))) {
    throw new ResponseRulesError(file, `${path}.signal`, 'expected a signal name such as SIGKILL');
  }
}

function flag(item: Obj, key: string, file: string, path: string, dflt: boolean): boolean {
  const v = item[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ResponseRulesError(file, `${path}.${key}`, 'expected true or false');
  return v;
}

function readRule(item: Obj, file: string, path: string, actions: Map<string, ActionSpec>): ResponseRule {
  if (!isObj(item.match)) throw new ResponseRulesError(file, `${path}.match`, 'expected a map');
  if (!Array.isArray(item.actions) || item.actions.length === 0) throw new ResponseRulesError(file, `${path}.actions`, 'expected a list of actions');
  const list = item.actions.map((a, j) => {
    const ap = `${path}.actions[${j}]`;
    if (!isObj(a) || typeof a.action !== 'string') throw new ResponseRulesError(file, ap, 'expected a map with an "action" name');
    const named = actions.get(a.action);
    if (!named && a.actionner === undefined) throw new ResponseRulesError(file, `${ap}.action`, `no action named ${JSON.stringify(a.action)} defined before this rule`);
    return readAction(a, file, ap, named);
  });
  return {
    name: String(item.rule),
    matches: compileMatch(item.match, file, `${path}.match`),
    actions: list,
    dryRun: flag(item, 'dry_run', file, path, false),
    continue: flag(item, 'continue', file, path, true),
    ignoreErrors: flag(item, 'ignore_errors', file, path, false),
  };
}

function stringList(v: unknown, file: string, path: string): string[] {
  if (v === undefined) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) throw new ResponseRulesError(file, path, 'expected a list of strings');
  return list as string[];
}

const PRIORITY_CMP = /^\s*(>=|<=|!=|>|<|=)?\s*([A-Za-z]+)\s*$/;
const FIELD_CMP = /^\s*([^=!\s]+)\s*(!=|=)\s*(.*?)\s*$/;

function compileMatch(m: Obj, file: string, path: string): (alert: Alert) => boolean {
  const tests: Array<(a: Alert) => boolean> = [];
  const names = new Set(stringList(m.rules, file, `${path}.rules`));
  if (names.size) tests.push((a) => names.has(a.rule));
  if (m.priority !== undefined) {
    const pm = typeof m.priority === 'string' ? PRIORITY_CMP.exec(m.priority) : null;
    const p = pm ? parsePriority(pm[2]!) : undefined;
    if (!pm || p === undefined) throw new ResponseRulesError(file, `${path}.priority`, `expected e.g. ">=Warning", got ${JSON.stringify(m.priority)}`);
    const want = priorityLevel(p);
    const op = pm[1] ?? '=';
    // Lower level = more severe, so ">=Warning" means level <= Warning's.
    const cmp: Record<string, (l: number) => boolean> = {
      '>=': (l) => l <= want, '>': (l) => l < want, '<=': (l) => l >= want, '<': (l) => l > want, '=': (l) => l === want, '!=': (l) => l !== want,
    };
    const test = cmp[op]!;
    tests.push((a) => {
      const ap = parsePriority(a.priority);
      return ap !== undefined && test(priorityLevel(ap));
    });
  }
  const tagSets = stringList(m.tags, file, `${path}.tags`).map((t) => t.split(',').map((s) => s.trim()).filter(Boolean));
  if (tagSets.length) tests.push((a) => tagSets.some((set) => set.every((t) => a.tags.includes(t))));
  for (const [j, expr] of stringList(m.output_fields, file, `${path}.output_fields`).entries()) {
    const fm = FIELD_CMP.exec(expr);
    if (!fm) throw new ResponseRulesError(file, `${path}.output_fields[${j}]`, `expected field=value or field!=value, got ${JSON.stringify(expr)}`);
    const [, field, op, value] = fm as unknown as [string, string, string, string];
    tests.push(op === '=' ? (a) => String(a.output_fields[field] ?? '') === value : (a) => String(a.output_fields[field] ?? '') !== value);
  }
  for (const key of Object.keys(m)) {
    if (!['rules', 'priority', 'tags', 'output_fields'].includes(key)) throw new ResponseRulesError(file, `${path}.${key}`, 'unknown match key');
  }
  return (a) => tests.every((t) => t(a));
}
