/**
 * Falco's `append_output` (0.39+): config entries that add output text and output_fields to the rules they match.
 *
 *   append_output:
 *     - match: { source: syscall, tags: [container], rule: "Terminal shell in container" }   # all optional
 *       extra_output: "on CPU %evt.cpu"          # appended to the rule's output text, after a space
 *       extra_fields:                            # only in output_fields, never in the text
 *         - k8s.pod.name                         # a field: its typed value
 *         - home_directory: "${HOME}"            # a literal string; ${VAR} expands from the environment
 *
 * Entries apply in order. An entry matches a rule when every key it gives holds: the same source, the same name,
 * and every listed tag among the rule's tags. Every format and field is checked here, so a bad entry is a config
 * error naming its place and a rules load never fails because of the config.
 */
import type { EventBatch, SyscallEvent } from '@peregrine/event';
import { RulesConfigError } from '../errors.ts';
import { compileFormat, isConditionError, type CompiledFormat, type FormatField } from '../loader/language.ts';

export interface AppendMatch {
  source: string | null;
  /** The rule must have all of these. */
  tags: readonly string[];
  rule: string | null;
}

/** `{ key: value }` is a literal; a bare field name reads that field. */
export type ExtraField = { key: string; literal: string } | { key: string; field: FormatField };

export interface AppendOutputEntry {
  match: AppendMatch;
  /** '' when the entry adds no text. */
  extraOutput: string;
  extraFields: readonly ExtraField[];
}

/** What the entries matching one rule add to it, precomputed at load. */
export interface RuleAppendix {
  /** Text to append to the rule's output ('' for none), each entry's after a space as Falco joins them. */
  output: string;
  /** output_fields entries by key, in first-seen order; a later entry's value for a key replaces an earlier one. */
  fields: readonly FormatField[];
}

const ENTRY_KEYS = new Set(['match', 'extra_output', 'extra_fields']);
const MATCH_KEYS = new Set(['source', 'tags', 'rule']);

/** Reads the `append_output` config key; throws RulesConfigError naming `append_output[i].key`. */
export function parseAppendOutput(raw: unknown, env: NodeJS.ProcessEnv = process.env): AppendOutputEntry[] {
  if (!Array.isArray(raw)) throw new RulesConfigError('append_output', 'must be a list of { match, extra_output, extra_fields }');
  return raw.map((entry, i) => parseEntry(entry, `append_output[${i}]`, env));
}

function parseEntry(entry: unknown, at: string, env: NodeJS.ProcessEnv): AppendOutputEntry {
  if (!isMapping(entry)) throw new RulesConfigError(at, 'must be a mapping with match, extra_output and/or extra_fields');
  for (const k of Object.keys(entry)) {
    if (!ENTRY_KEYS.has(k)) throw new RulesConfigError(`${at}.${k}`, 'unknown key (expected match, extra_output, extra_fields)');
  }
  if (entry.extra_output === undefined && entry.extra_fields === undefined) {
    throw new RulesConfigError(at, 'needs extra_output or extra_fields');
  }
  return {
    match: parseMatch(entry.match, `${at}.match`),
    extraOutput: parseExtraOutput(entry.extra_output, `${at}.extra_output`, env),
    extraFields: parseExtraFields(entry.extra_fields, `${at}.extra_fields`, env),
  };
}

function parseMatch(raw: unknown, at: string): AppendMatch {
  if (raw === undefined || raw === null) return { source: null, tags: [], rule: null };
  if (!isMapping(raw)) throw new RulesConfigError(at, 'must be a mapping of source, tags, rule');
  for (const k of Object.keys(raw)) {
    if (!MATCH_KEYS.has(k)) throw new RulesConfigError(`${at}.${k}`, 'unknown key (expected source, tags, rule)');
  }
  const optionalString = (key: 'source' | 'rule'): string | null => {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v === '') throw new RulesConfigError(`${at}.${key}`, 'must be a non-empty string');
    return v;
  };
  const tags = raw.tags ?? [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && t !== '')) {
    throw new RulesConfigError(`${at}.tags`, 'must be a list of tag names');
  }
  return { source: optionalString('source'), tags, rule: optionalString('rule') };
}

function parseExtraOutput(raw: unknown, at: string, env: NodeJS.ProcessEnv): string {
  if (raw === undefined || raw === null) return '';
  if (typeof raw !== 'string') throw new RulesConfigError(at, 'must be a format string');
  const text = expandEnv(raw, env).trim();
  checkFormat(text, at);
  return text;
}

function parseExtraFields(raw: unknown, at: string, env: NodeJS.ProcessEnv): ExtraField[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new RulesConfigError(at, 'must be a list of field names or { key: value }');
  return raw.map((item, j): ExtraField => {
    const here = `${at}[${j}]`;
    if (typeof item === 'string') return { key: item, field: fieldReader(item, here) };
    const entries = isMapping(item) ? Object.entries(item) : [];
    const [key, value] = entries[0] ?? [];
    if (entries.length !== 1 || key === '' || (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')) {
      throw new RulesConfigError(here, 'must be a field name or a single { key: value } with a scalar value');
    }
    return { key: key!, literal: expandEnv(String(value), env) };
  });
}

/** A bare field name (with an optional [arg]) as one FormatField. */
function fieldReader(name: string, at: string): FormatField {
  const format = checkFormat(`%${name}`, at);
  const field = format.fields[0];
  if (format.fields.length !== 1 || field === undefined || field.name !== name) {
    throw new RulesConfigError(at, `'${name}' is not a field name`);
  }
  return field;
}

function checkFormat(text: string, at: string): CompiledFormat {
  try {
    return compileFormat(text);
  } catch (e) {
    if (!isConditionError(e)) throw e;
    throw new RulesConfigError(at, e.reason);
  }
}

/** `${VAR}` from the environment (unset: empty), `$${` for a literal `${`: Falco's config expansion. */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$(\$?)\{([^}]*)\}/g, (whole, escaped: string, name: string) => (escaped ? whole.slice(1) : (env[name] ?? '')));
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function appendMatches(m: AppendMatch, rule: { name: string; source: string; tags: readonly string[] }): boolean {
  if (m.source !== null && m.source !== rule.source) return false;
  if (m.rule !== null && m.rule !== rule.name) return false;
  return m.tags.every((t) => rule.tags.includes(t));
}

const NO_APPENDIX: RuleAppendix = { output: '', fields: [] };

/** What `entries` add to one rule. */
export function ruleAppendix(entries: readonly AppendOutputEntry[], rule: { name: string; source: string; tags: readonly string[] }): RuleAppendix {
  let output = '';
  const fields = new Map<string, FormatField>();
  for (const e of entries) {
    if (!appendMatches(e.match, rule)) continue;
    if (e.extraOutput !== '') output += ` ${e.extraOutput}`;
    for (const f of e.extraFields) fields.set(f.key, 'field' in f ? { name: f.key, get: f.field.get } : literalField(f.key, f.literal));
  }
  return output === '' && fields.size === 0 ? NO_APPENDIX : { output, fields: [...fields.values()] };
}

function literalField(name: string, value: string): FormatField {
  return { name, get: (_b: EventBatch, _e: SyscallEvent) => value };
}
