/**
 * Compiles what the reader collected: lists expanded, macros parsed, every rule's condition (with its exceptions)
 * and output compiled by the condition language. Each rule fails or succeeds on its own, so one load reports every
 * broken rule; unused macros and lists and ungated rules are warnings, as in Falco.
 */
import type { Expr } from '../filter/ast.ts';
import { LoadCode, type SourcePosition } from '../errors.ts';
import type { Collector } from './collector.ts';
import type { Diagnostics } from './diagnostics.ts';
import { applyExceptions } from './exceptions.ts';
import type { RuleInfo } from './items.ts';
import { ruleAppendix, type AppendOutputEntry } from '../ruleset/append-output.ts';
import {
  compileCondition, compileFormat, isConditionError, isUnknownFieldError, parseCondition, type CompiledFilter, type CompiledFormat,
  type FormatField,
} from './language.ts';
import { conditionRefs } from './refs.ts';
import type { SourceText } from './source.ts';
import { ItemError } from './yaml-values.ts';

/** A rule ready to evaluate. `enabled` is what the files say; the ruleset applies configuration on top. */
export interface CompiledRule {
  name: string;
  desc: string;
  priority: RuleInfo['priority'];
  source: string;
  /** Sorted, as Falco keeps them in a std::set. */
  tags: readonly string[];
  enabled: boolean;
  /** The condition as compiled: appends applied, exceptions added (Falco's text). */
  condition: string;
  output: string;
  filter: CompiledFilter;
  format: CompiledFormat;
  /** append_output's extra_fields for this rule: in output_fields after the format's own, never in the text. */
  extraFields: readonly FormatField[];
  /** evt.type names the rule can match; null when it has no event-type gate. */
  eventTypes: ReadonlySet<string> | null;
  capture: boolean;
  captureDuration: number;
  /** Load order: with `rule_matching: first` the earliest matching rule wins. */
  order: number;
  position: SourcePosition;
}

const CONTAINER_INFO = '%container.info';

/** Falco warns when a rule's gate is missing or wider than this many event types. */
const MAX_GATE = 100;

export function compileCollected(collector: Collector, diags: Diagnostics, appendOutput: readonly AppendOutputEntry[] = []): CompiledRule[] {
  const usedLists = new Set<string>();
  const usedMacros = new Set<string>();
  const lists = expandLists(collector, usedLists);
  const macros = parseMacros(collector, diags, lists, usedMacros, usedLists);
  // A broken macro would be reported again by every rule using it: stop here, as Falco stops at its first error.
  if (diags.hasErrors) return [];
  // Compile errors inside a macro carry the macro's text: this finds where that text came from.
  const macroTexts = new Map<string, SourceText>();
  for (const m of collector.macros.values()) macroTexts.set(m.condition.text, m.condition);
  const rules: CompiledRule[] = [];
  let order = 0;
  for (const info of collector.rules.values()) {
    const rule = compileRule(info, diags, macros, lists, macroTexts, usedMacros, usedLists, order, appendOutput);
    if (rule) {
      rules.push(rule);
      order++;
    }
  }
  if (diags.hasErrors) return rules;
  for (const m of collector.macros.values()) {
    if (!usedMacros.has(m.name)) {
      diags.warn(LoadCode.UnusedMacro, 'Macro not referred to by any other rule/macro', m.place.file.position(m.place.offset), `macro '${m.name}'`);
    }
  }
  for (const l of collector.lists.values()) {
    if (!usedLists.has(l.name)) {
      diags.warn(LoadCode.UnusedList, 'List not referred to by any other rule/macro', l.place.file.position(l.place.offset), `list '${l.name}'`);
    }
  }
  return rules;
}

/** A list item naming a list defined before it is replaced by that list's items (Falco's visibility rule). */
function expandLists(collector: Collector, used: Set<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const list of collector.lists.values()) {
    const items: string[] = [];
    for (const item of list.items) {
      const ref = collector.lists.get(item);
      if (ref && ref.index < list.visibility) {
        used.add(ref.name);
        items.push(...(out.get(ref.name) ?? ref.items));
      } else {
        items.push(item);
      }
    }
    out.set(list.name, items);
  }
  return out;
}

function parseMacros(
  collector: Collector,
  diags: Diagnostics,
  lists: Map<string, string[]>,
  usedMacros: Set<string>,
  usedLists: Set<string>,
): Map<string, Expr> {
  const out = new Map<string, Expr>();
  for (const m of collector.macros.values()) {
    const expr = parseWithPositions(m.condition, diags, `macro '${m.name}'`);
    if (!expr) continue;
    out.set(m.name, expr);
    const refs = conditionRefs(expr);
    for (const [name, pos] of refs.macros) {
      const ref = collector.macros.get(name);
      if (!ref || ref.index >= m.visibility) {
        diags.error(LoadCode.CompileCondition, `Undefined macro '${name}' used in filter.`, m.condition.position(pos.offset), `macro '${m.name}'`);
      }
      usedMacros.add(name);
    }
    for (const v of refs.listCandidates) if (lists.has(v)) usedLists.add(v);
  }
  return out;
}

function parseWithPositions(text: SourceText, diags: Diagnostics, item: string): Expr | null {
  try {
    return parseCondition(text.text);
  } catch (e) {
    if (!isConditionError(e)) throw e;
    diags.error(LoadCode.CompileCondition, e.reason, text.position(e.offset), item);
    return null;
  }
}

function compileRule(
  info: RuleInfo,
  diags: Diagnostics,
  macros: Map<string, Expr>,
  lists: Map<string, string[]>,
  macroTexts: Map<string, SourceText>,
  usedMacros: Set<string>,
  usedLists: Set<string>,
  order: number,
  appendOutput: readonly AppendOutputEntry[],
): CompiledRule | null {
  const item = `rule '${info.name}'`;
  const position = info.place.file.position(info.place.offset);
  if (info.source !== 'syscall') {
    diags.warn(LoadCode.UnknownSource, `Unknown source ${info.source}, skipping`, position, item);
    return null;
  }
  const condition = info.condition.clone();
  try {
    applyExceptions(condition, info.exceptions);
  } catch (e) {
    if (!(e instanceof ItemError)) throw e;
    diags.error(LoadCode.Validate, e.message, info.place.file.position(e.offset), item);
    return null;
  }
  const expr = parseWithPositions(condition, diags, item);
  if (!expr) return null;
  const refs = conditionRefs(expr);
  for (const name of refs.macros.keys()) usedMacros.add(name);
  for (const v of refs.listCandidates) if (lists.has(v)) usedLists.add(v);
  for (const name of refs.macros.keys()) {
    const m = macros.get(name);
    if (m) for (const v of conditionRefs(m).listCandidates) if (lists.has(v)) usedLists.add(v);
  }

  let filter: CompiledFilter;
  try {
    filter = compileCondition(expr, { macros, lists });
  } catch (e) {
    if (!isConditionError(e)) throw e;
    const at = (e.source === condition.text ? condition : (macroTexts.get(e.source) ?? condition)).position(e.offset);
    if (info.skipIfUnknownFilter && isUnknownFieldError(e)) {
      diags.warn(LoadCode.UnknownFilter, e.reason, at, item);
      return null;
    }
    diags.error(LoadCode.CompileCondition, e.reason, at, item);
    return null;
  }
  for (const name of filter.usedMacros) usedMacros.add(name);
  for (const name of filter.usedLists) usedLists.add(name);

  let outputText = info.output.text.trim();
  const outputLead = info.output.text.length - info.output.text.trimStart().length;
  if (outputText.includes(CONTAINER_INFO)) {
    // Falco dropped %container.info (container fields are added by the container plugin); it warns and removes it.
    diags.warn(LoadCode.DeprecatedItem, '%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.', position, item);
    outputText = outputText.replaceAll(CONTAINER_INFO, '');
  }
  // Appended after the rule's own text, so error offsets inside that text stay right; the config checked its part.
  const tags = [...info.tags].sort();
  const appendix = ruleAppendix(appendOutput, { name: info.name, source: info.source, tags });
  outputText += appendix.output;
  let format: CompiledFormat;
  try {
    format = compileFormat(outputText);
  } catch (e) {
    if (!isConditionError(e)) throw e;
    const at = info.output.position(outputLead + e.offset);
    if (info.skipIfUnknownFilter && isUnknownFieldError(e)) {
      diags.warn(LoadCode.UnknownFilter, e.reason, at, item);
      return null;
    }
    diags.error(LoadCode.CompileOutput, e.reason, at, item);
    return null;
  }

  const eventTypes = filter.eventTypes;
  if ((eventTypes === null || eventTypes.size > MAX_GATE) && info.warnEvttypes) {
    diags.warn(LoadCode.NoEvttype, 'Rule matches too many evt.type values. This has a significant performance penalty.', position, item);
  }
  return {
    name: info.name,
    desc: info.desc,
    priority: info.priority,
    source: info.source,
    tags,
    enabled: info.enabled,
    condition: condition.text,
    output: outputText,
    filter,
    format,
    extraFields: appendix.fields,
    eventTypes,
    capture: info.capture,
    captureDuration: info.captureDuration,
    order,
    position,
  };
}
