/**
 * Reads one rules file into the collector, item by item, as Falco's rule_loader_reader does. The first error stops
 * the file; warnings (deprecated `append`, unknown keys or items) are collected and reading goes on.
 */
import { isMap, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml';
import { parsePriority } from '@peregrine/event';
import { LoadCode } from '../errors.ts';
import { Collector, type RuleUpdate } from './collector.ts';
import type { Diagnostics } from './diagnostics.ts';
import { KNOWN_KEYS, OVERRIDABLE, type ExceptionEntry, type ExceptionInfo, type RuleInfo } from './items.ts';
import { RulesFile, SourceText } from './source.ts';
import { checkEngineVersion, checkPluginRequirement } from './requirements.ts';
import {
  ItemError, asMap, decodeBool, decodeOptionalBool, decodeOptionalString, decodeScalarSeq, decodeString, decodeUint,
  field, has, isNullNode, keyName, offsetOf, pairs, type YamlMap,
} from './yaml-values.ts';

const WARNING_APPEND = "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";

/** Falco's name rules: a macro name is an identifier, a list name a bare string. */
const MACRO_NAME = /^[a-zA-Z]+[a-zA-Z0-9_]*$/;
const LIST_NAME = /^[^()"'\s=,]+$/;

export function readRulesFile(file: RulesFile, collector: Collector, diags: Diagnostics): boolean {
  const docs = parseAllDocuments(file.content, { lineCounter: file.lines, schema: 'failsafe', uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    const bad = doc.errors[0];
    if (bad) {
      diags.error(LoadCode.YamlParse, bad.message.split('\n')[0] ?? bad.message, file.position(bad.pos[0]));
      return false;
    }
  }
  for (const doc of list) {
    const root = doc.contents as Node | null;
    if (isNullNode(root)) continue;
    if (!isSeq(root)) {
      diags.error(LoadCode.YamlValidate, isMap(root) ? 'Rules content is not yaml array of objects' : 'Rules content is not yaml', file.nodePosition(root));
      return false;
    }
    for (const item of root.items as Node[]) {
      if (isNullNode(item)) continue;
      try {
        readItem(file, collector, diags, item);
      } catch (e) {
        if (!(e instanceof ItemError)) throw e;
        diags.error(e.code, e.message, file.position(e.offset), describe(item));
        return false;
      }
    }
  }
  return true;
}

/** "rule 'X'", "macro 'y'"… as Falco names the item in its messages. */
function describe(item: Node): string {
  const map = asMap(item);
  if (!map) return '';
  for (const kind of ['rule', 'macro', 'list'] as const) {
    const v = field(map, kind);
    if (v !== undefined) return `${kind} '${isScalar(v) ? String(v.value) : ''}'`;
  }
  return '';
}

function readItem(file: RulesFile, collector: Collector, diags: Diagnostics, item: Node): void {
  const map = asMap(item);
  const at = offsetOf(item, 0);
  if (!map) throw new ItemError('Unexpected element type. Each element should be a yaml associative array.', at);
  if (has(map, 'required_engine_version')) {
    checkEngineVersion(decodeString(map, 'required_engine_version', at), offsetOf(field(map, 'required_engine_version'), at));
  } else if (has(map, 'required_plugin_versions')) {
    readPluginVersions(map, at, diags, file);
  } else if (has(map, 'list')) {
    readList(file, collector, diags, map, at);
  } else if (has(map, 'macro')) {
    readMacro(file, collector, diags, map, at);
  } else if (has(map, 'rule')) {
    readRule(file, collector, diags, map, at);
  } else {
    diags.warn(LoadCode.UnknownItem, 'Unknown top level item', file.position(at));
  }
}

function warnUnknownKeys(file: RulesFile, diags: Diagnostics, map: YamlMap, known: ReadonlySet<string>, item: string): void {
  for (const p of pairs(map)) {
    const k = keyName(p);
    if (!known.has(k)) diags.warn(LoadCode.UnknownKey, `Unknown key '${k}'`, file.nodePosition(p.key as Node), item);
  }
}

function readPluginVersions(map: YamlMap, at: number, diags: Diagnostics, file: RulesFile): void {
  const reqs = field(map, 'required_plugin_versions');
  if (!isSeq(reqs)) throw new ItemError('Value of required_plugin_versions must be a sequence', offsetOf(reqs, at));
  for (const entry of reqs.items as Node[]) {
    const e = asMap(entry);
    const eAt = offsetOf(entry, at);
    if (!e) throw new ItemError('Plugin version must be a mapping', eAt);
    warnUnknownKeys(file, diags, e, KNOWN_KEYS.plugin, '');
    const alternatives = [{ name: decodeString(e, 'name', eAt), version: decodeString(e, 'version', eAt) }];
    const alts = field(e, 'alternatives');
    if (alts !== undefined) {
      if (!isSeq(alts)) throw new ItemError('Value of plugin version alternatives must be a sequence', offsetOf(alts, eAt));
      for (const a of alts.items as Node[]) {
        const am = asMap(a);
        if (!am) throw new ItemError('Plugin version alternative must be a mapping', offsetOf(a, eAt));
        alternatives.push({ name: decodeString(am, 'name', offsetOf(a, eAt)), version: decodeString(am, 'version', offsetOf(a, eAt)) });
      }
    }
    checkPluginRequirement(alternatives, eAt);
  }
}

/** The `override:` mapping: which keys to append and which to replace, checked against what the kind allows. */
function readOverrides(map: YamlMap, at: number, allowed: { append: ReadonlySet<string>; replace: ReadonlySet<string> }) {
  const append = new Set<string>();
  const replace = new Set<string>();
  const node = field(map, 'override');
  if (node === undefined) return { append, replace };
  const om = asMap(node);
  if (!om) throw new ItemError("Value of 'override' must be a mapping", offsetOf(node, at));
  for (const p of pairs(om)) {
    const key = keyName(p);
    const op = isScalar(p.value) ? String(p.value.value) : '';
    const keyAt = offsetOf(p.key, at);
    if (op === 'append') {
      if (!allowed.append.has(key)) throw new ItemError(`Key '${key}' cannot be appended to, use 'replace' instead`, keyAt);
      append.add(key);
    } else if (op === 'replace') {
      if (!allowed.replace.has(key)) throw new ItemError(`Key '${key}' cannot be replaced`, keyAt);
      replace.add(key);
    } else {
      const ops = [allowed.append.has(key) ? 'append ' : '', allowed.replace.has(key) ? 'replace ' : ''].join('');
      throw new ItemError(`Invalid override operation for key '${key}': '${op}'. Allowed values are: ${ops}`, offsetOf(p.value, keyAt));
    }
  }
  return { append, replace };
}

function readList(file: RulesFile, collector: Collector, diags: Diagnostics, map: YamlMap, at: number): void {
  const name = decodeString(map, 'list', at);
  if (!LIST_NAME.test(name)) throw new ItemError(`List has an invalid name. List names must match a regular expression: ([^()"'[:space:]=,]+)`, offsetOf(field(map, 'list'), at));
  const item = `list '${name}'`;
  warnUnknownKeys(file, diags, map, KNOWN_KEYS.list, item);
  const items = decodeScalarSeq(map, 'items', at);
  let append = decodeOptionalBool(map, 'append', at) ?? false;
  if (append) diags.warn(LoadCode.DeprecatedItem, WARNING_APPEND, file.position(at), item);
  const ov = readOverrides(map, at, OVERRIDABLE.list);
  if (append && (ov.append.size > 0 || ov.replace.size > 0)) throw new ItemError(ERROR_OVERRIDE_APPEND, at);
  append ||= ov.append.has('items');
  const info = { name, items, place: { file, offset: at }, index: 0, visibility: 0 };
  if (append) collector.appendList(info);
  else collector.defineList(info);
}

function readMacro(file: RulesFile, collector: Collector, diags: Diagnostics, map: YamlMap, at: number): void {
  const name = decodeString(map, 'macro', at);
  if (!MACRO_NAME.test(name)) throw new ItemError('Macro has an invalid name. Macro names must match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)', offsetOf(field(map, 'macro'), at));
  const item = `macro '${name}'`;
  warnUnknownKeys(file, diags, map, KNOWN_KEYS.macro, item);
  decodeString(map, 'condition', at);
  const condition = SourceText.from(file, field(map, 'condition'));
  let append = decodeOptionalBool(map, 'append', at) ?? false;
  if (append) diags.warn(LoadCode.DeprecatedItem, WARNING_APPEND, file.position(at), item);
  const ov = readOverrides(map, at, OVERRIDABLE.macro);
  if (append && (ov.append.size > 0 || ov.replace.size > 0)) throw new ItemError(ERROR_OVERRIDE_APPEND, at);
  append ||= ov.append.has('condition');
  const info = { name, condition, place: { file, offset: at }, index: 0, visibility: 0 };
  if (append) collector.appendMacro(info);
  else collector.defineMacro(info);
}

function readPriority(map: YamlMap, at: number) {
  const text = decodeString(map, 'priority', at);
  const p = parsePriority(text);
  if (!p) throw new ItemError('Invalid priority', offsetOf(field(map, 'priority'), at));
  return p;
}

function readTags(map: YamlMap, at: number): Set<string> {
  return has(map, 'tags') ? new Set(decodeScalarSeq(map, 'tags', at)) : new Set();
}

function readRule(file: RulesFile, collector: Collector, diags: Diagnostics, map: YamlMap, at: number): void {
  const name = decodeString(map, 'rule', at);
  const item = `rule '${name}'`;
  warnUnknownKeys(file, diags, map, KNOWN_KEYS.rule, item);
  const appendFlag = decodeOptionalBool(map, 'append', at) ?? false;
  if (appendFlag) diags.warn(LoadCode.DeprecatedItem, WARNING_APPEND, file.position(at), item);
  const ov = readOverrides(map, at, OVERRIDABLE.rule);
  const hasOverrides = ov.append.size > 0 || ov.replace.size > 0;
  if (appendFlag && hasOverrides) throw new ItemError(ERROR_OVERRIDE_APPEND, at);

  if (hasOverrides) {
    // Every overridable key present must be named under `override`, and every key named must be present.
    const expected = new Set([...OVERRIDABLE.rule.append, ...OVERRIDABLE.rule.replace].filter((k) => has(map, k)));
    const take = (set: Set<string>, kind: string) => {
      const u: RuleUpdate = { name, offset: at };
      for (const key of set) {
        if (!expected.has(key)) throw new ItemError(`An ${kind} override for '${key}' was specified but '${key}' is not defined`, at);
        expected.delete(key);
        readUpdateKey(file, diags, map, at, key, u);
      }
      return u;
    };
    const appendUpdate = ov.append.size > 0 ? take(ov.append, 'append') : null;
    const replaceUpdate = ov.replace.size > 0 ? take(ov.replace, 'replace') : null;
    for (const key of expected) {
      throw new ItemError(`Unexpected key '${key}': no corresponding entry under 'override' is defined.`, offsetOf(field(map, key), at));
    }
    if (appendUpdate) collector.appendRule(appendUpdate);
    if (replaceUpdate) collector.replaceRule(replaceUpdate);
    return;
  }
  if (appendFlag) {
    const u: RuleUpdate = { name, offset: at };
    if (has(map, 'condition')) readUpdateKey(file, diags, map, at, 'condition', u);
    if (has(map, 'exceptions')) readUpdateKey(file, diags, map, at, 'exceptions', u);
    collector.appendRule(u);
    return;
  }
  if (!has(map, 'condition') && !has(map, 'output') && !has(map, 'desc') && !has(map, 'priority')) {
    const enabled = decodeBool(map, 'enabled', at);
    diags.warn(LoadCode.DeprecatedItem, WARNING_ENABLED, file.position(at), item);
    collector.enableRule(name, enabled, at);
    return;
  }
  decodeString(map, 'condition', at);
  decodeString(map, 'output', at);
  const info: RuleInfo = {
    name,
    condition: SourceText.from(file, field(map, 'condition')),
    output: SourceText.from(file, field(map, 'output')),
    desc: decodeString(map, 'desc', at),
    priority: readPriority(map, at),
    source: decodeOptionalString(map, 'source', at) ?? 'syscall',
    enabled: decodeOptionalBool(map, 'enabled', at) ?? true,
    tags: readTags(map, at),
    exceptions: readExceptions(file, diags, map, at, false),
    warnEvttypes: decodeOptionalBool(map, 'warn_evttypes', at) ?? true,
    skipIfUnknownFilter: decodeOptionalBool(map, 'skip-if-unknown-filter', at) ?? false,
    capture: decodeOptionalBool(map, 'capture', at) ?? false,
    captureDuration: has(map, 'capture_duration') ? decodeUint(map, 'capture_duration', at) : 0,
    place: { file, offset: at },
    index: 0,
  };
  collector.defineRule(info);
}

function readUpdateKey(file: RulesFile, diags: Diagnostics, map: YamlMap, at: number, key: string, u: RuleUpdate): void {
  switch (key) {
    case 'condition':
      decodeString(map, key, at);
      u.condition = SourceText.from(file, field(map, key));
      return;
    case 'output':
      decodeString(map, key, at);
      u.output = SourceText.from(file, field(map, key));
      return;
    case 'desc':
      u.desc = decodeString(map, key, at);
      return;
    case 'tags':
      u.tags = readTags(map, at);
      return;
    case 'exceptions':
      u.exceptions = readExceptions(file, diags, map, at, true);
      return;
    case 'priority':
      u.priority = readPriority(map, at);
      return;
    case 'enabled':
      u.enabled = decodeBool(map, key, at);
      return;
    case 'warn_evttypes':
      u.warnEvttypes = decodeBool(map, key, at);
      return;
    case 'skip-if-unknown-filter':
      u.skipIfUnknownFilter = decodeBool(map, key, at);
      return;
    case 'capture':
      u.capture = decodeBool(map, key, at);
      return;
    case 'capture_duration':
      u.captureDuration = decodeUint(map, key, at);
      return;
  }
}

/** A scalar or a (nested) sequence of scalars, as an exception's fields, comps or one value. */
function readEntry(node: Node | null | undefined, at: number): ExceptionEntry {
  if (isScalar(node)) {
    const item = String(node.value);
    if (item.length === 0) throw new ItemError('Value must be non-empty', offsetOf(node, at));
    return { isList: false, item, items: [] };
  }
  if (isSeq(node)) return { isList: true, item: '', items: (node.items as Node[]).map((n) => readEntry(n, offsetOf(n, at))) };
  throw new ItemError('Value must be a scalar or a sequence', offsetOf(node, at));
}

function readExceptions(file: RulesFile, diags: Diagnostics, map: YamlMap, at: number, appending: boolean): ExceptionInfo[] {
  const node = field(map, 'exceptions');
  if (node === undefined || isNullNode(node)) return [];
  if (!isSeq(node)) throw new ItemError('Rule exceptions must be a sequence', offsetOf(node, at));
  const out: ExceptionInfo[] = [];
  for (const exNode of node.items as Node[]) {
    const ex = asMap(exNode);
    const exAt = offsetOf(exNode, at);
    if (!ex) throw new ItemError('Rule exception must be a mapping', exAt);
    const name = decodeString(ex, 'name', exAt);
    warnUnknownKeys(file, diags, ex, KNOWN_KEYS.exception, `exception '${name}'`);
    if (out.some((e) => e.name === name)) throw new ItemError('Exceptions names in the same object must be unique', exAt);
    const fieldsNode = field(ex, 'fields');
    if (fieldsNode === undefined && !appending) throw new ItemError("Item has no mapping for key 'fields'", exAt);
    const compsNode = field(ex, 'comps');
    const valuesNode = field(ex, 'values');
    const values: ExceptionEntry[] = [];
    if (valuesNode !== undefined) {
      if (!isSeq(valuesNode)) throw new ItemError('Rule exception values must be a sequence', offsetOf(valuesNode, exAt));
      for (const v of valuesNode.items as Node[]) values.push(readEntry(v, offsetOf(v, exAt)));
    } else if (appending) {
      diags.warn(LoadCode.AppendNoValues, 'Overriding/appending exception with no values', file.position(exAt), `exception '${name}'`);
    }
    out.push({
      name,
      fields: fieldsNode === undefined ? null : readEntry(fieldsNode, exAt),
      comps: compsNode === undefined ? null : readEntry(compsNode, exAt),
      values,
      place: { file, offset: exAt },
    });
  }
  return out;
}
