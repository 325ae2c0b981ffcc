/**
 * The items of all rules files, in load order, with Falco's semantics for defining an item again, appending to it,
 * replacing some of its keys, and enabling or disabling a rule by name.
 */
import type { Priority } from '@peregrine/event';
import { ItemError } from './yaml-values.ts';
import type { ExceptionInfo, ListInfo, MacroInfo, RuleInfo } from './items.ts';
import type { SourceText } from './source.ts';

/** What an `append: true` item or an `override:` item carries: only the keys it names. */
export interface RuleUpdate {
  name: string;
  offset: number;
  condition?: SourceText;
  output?: SourceText;
  desc?: string;
  tags?: Set<string>;
  exceptions?: ExceptionInfo[];
  priority?: Priority;
  enabled?: boolean;
  warnEvttypes?: boolean;
  skipIfUnknownFilter?: boolean;
  capture?: boolean;
  captureDuration?: number;
}

/** The comparison operators an exception may use (libsinsp's parser::supported_operators). */
export const EXCEPTION_OPERATORS = new Set([
  '=', '==', '!=', '<=', '>=', '<', '>', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith',
  'endswith', 'glob', 'iglob', 'regex', 'in', 'intersects', 'pmatch', 'exists',
]);
/** Operators whose right-hand side is a list, so a scalar value gets wrapped in parentheses. */
export const LIST_OPERATORS = new Set(['in', 'intersects', 'pmatch']);

export class Collector {
  readonly lists = new Map<string, ListInfo>();
  readonly macros = new Map<string, MacroInfo>();
  readonly rules = new Map<string, RuleInfo>();
  private step = 0;

  defineList(info: ListInfo): void {
    const prev = this.lists.get(info.name);
    info.visibility = this.step++;
    info.index = prev ? prev.index : info.visibility;
    this.lists.set(info.name, info);
  }

  appendList(info: ListInfo): void {
    const prev = this.lists.get(info.name);
    if (!prev) throw new ItemError("List uses 'append' or 'override.items: append' but no list by that name already exists", info.place.offset);
    prev.items.push(...info.items);
    prev.visibility = this.step++;
  }

  defineMacro(info: MacroInfo): void {
    const prev = this.macros.get(info.name);
    info.visibility = this.step++;
    info.index = prev ? prev.index : info.visibility;
    this.macros.set(info.name, info);
  }

  appendMacro(info: MacroInfo): void {
    const prev = this.macros.get(info.name);
    if (!prev) throw new ItemError("Macro uses 'append' or 'override.condition: append' but no macro by that name already exists", info.place.offset);
    prev.condition.appendSource(info.condition);
    prev.visibility = this.step++;
  }

  defineRule(info: RuleInfo): void {
    const prev = this.rules.get(info.name);
    if (prev && prev.source !== info.source) throw new ItemError('Rule has been re-defined with a different source', info.place.offset);
    for (const ex of info.exceptions) {
      if (!ex.fields) throw new ItemError('Rule exception item must have fields property with a list of fields', ex.place.offset);
      validateException(ex);
    }
    const step = this.step++;
    info.index = prev ? prev.index : step;
    this.rules.set(info.name, info);
  }

  appendRule(u: RuleUpdate): void {
    const prev = this.rules.get(u.name);
    if (!prev) throw new ItemError("Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists", u.offset);
    if (!hasAnyValue(u)) throw new ItemError('Appended rule must have exceptions or condition property', u.offset);
    if (u.condition && u.condition.text.length > 0) prev.condition.appendSource(u.condition);
    if (u.output && u.output.text.length > 0) prev.output.appendSource(u.output);
    if (u.desc) prev.desc += ` ${u.desc}`;
    if (u.tags) for (const t of u.tags) prev.tags.add(t);
    for (const ex of u.exceptions ?? []) {
      const same = prev.exceptions.find((e) => e.name === ex.name);
      if (!same) {
        if (!ex.fields) throw new ItemError('Rule exception must have fields property with a list of fields', ex.place.offset);
        if (ex.values.length === 0) throw new ItemError('Rule exception must have values property with a list of values', ex.place.offset);
        validateException(ex);
        prev.exceptions.push(ex);
      } else {
        if (ex.fields) throw new ItemError('Can not append exception fields to existing exception, only values', ex.place.offset);
        if (ex.comps) throw new ItemError('Can not append exception comps to existing exception, only values', ex.place.offset);
        same.values.push(...ex.values);
      }
    }
    this.step++;
  }

  replaceRule(u: RuleUpdate): void {
    const prev = this.rules.get(u.name);
    if (!prev) throw new ItemError("An 'override.<key>: replace' to a rule was requested but no rule by that name already exists", u.offset);
    if (!hasAnyValue(u)) throw new ItemError('The rule must have at least one field that can be replaced', u.offset);
    if (u.condition) prev.condition = u.condition;
    if (u.output) prev.output = u.output;
    if (u.desc !== undefined) prev.desc = u.desc;
    if (u.tags) prev.tags = u.tags;
    if (u.exceptions) {
      for (const ex of u.exceptions) {
        if (!ex.fields) throw new ItemError('Rule exception item must have fields property with a list of fields', ex.place.offset);
        validateException(ex);
      }
      prev.exceptions = u.exceptions;
    }
    if (u.priority !== undefined) prev.priority = u.priority;
    if (u.enabled !== undefined) prev.enabled = u.enabled;
    if (u.warnEvttypes !== undefined) prev.warnEvttypes = u.warnEvttypes;
    if (u.skipIfUnknownFilter !== undefined) prev.skipIfUnknownFilter = u.skipIfUnknownFilter;
    if (u.capture !== undefined) prev.capture = u.capture;
    if (u.captureDuration !== undefined) prev.captureDuration = u.captureDuration;
    this.step++;
  }

  /** The legacy form: a rule item with only `enabled`. */
  enableRule(name: string, enabled: boolean, offset: number): void {
    const prev = this.rules.get(name);
    if (!prev) throw new ItemError('Rule has \'enabled\' key but no rule by that name already exists', offset);
    prev.enabled = enabled;
  }
}

function hasAnyValue(u: RuleUpdate): boolean {
  return Object.entries(u).some(([k, v]) => k !== 'name' && k !== 'offset' && v !== undefined);
}

/** Falco's validate_exception_info: default comps, equal lengths, known operators. Fields are checked at compile. */
function validateException(ex: ExceptionInfo): void {
  const fields = ex.fields!;
  if (fields.isList) {
    if (!ex.comps) ex.comps = { isList: true, item: '', items: fields.items.map(() => ({ isList: false, item: '=', items: [] })) };
    if (fields.items.length !== ex.comps.items.length) throw new ItemError('Fields and comps lists must have equal length', ex.place.offset);
    for (const c of ex.comps.items) {
      if (!EXCEPTION_OPERATORS.has(c.item)) throw new ItemError(`'${c.item}' is not a supported comparison operator`, ex.place.offset);
    }
  } else {
    if (!ex.comps) ex.comps = { isList: false, item: 'in', items: [] };
    if (ex.comps.isList) throw new ItemError('Fields and comps must both be strings', ex.place.offset);
    if (!LIST_OPERATORS.has(ex.comps.item)) {
      throw new ItemError('When fields is a single value, comps must be one of (in, pmatch, intersects)', ex.place.offset);
    }
  }
}
