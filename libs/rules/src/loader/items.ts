/**
 * What the reader collects from rules files before compiling: Falco's list, macro and rule infos, each with the
 * place it was defined so later errors can point at it.
 */
import type { Priority } from '@peregrine/event';
import type { RulesFile, SourceText } from './source.ts';

export interface ItemPlace {
  file: RulesFile;
  /** Offset of the item in its file. */
  offset: number;
}

export interface ListInfo {
  name: string;
  items: string[];
  place: ItemPlace;
  /** Definition order, for Falco's visibility rule: a list can only refer to lists defined before it. */
  index: number;
  /** The load step of its last definition or append: lists with a smaller index are visible to it. */
  visibility: number;
}

export interface MacroInfo {
  name: string;
  condition: SourceText;
  place: ItemPlace;
  index: number;
  /** As for lists: a macro sees only macros defined before its last definition or append. */
  visibility: number;
}

/** One exception entry: a scalar (`proc.name`) or a list of entries (`[proc.name, fd.name]`). */
export interface ExceptionEntry {
  isList: boolean;
  item: string;
  items: ExceptionEntry[];
}

export interface ExceptionInfo {
  name: string;
  fields: ExceptionEntry | null;
  comps: ExceptionEntry | null;
  values: ExceptionEntry[];
  place: ItemPlace;
}

export interface RuleInfo {
  name: string;
  condition: SourceText;
  output: SourceText;
  desc: string;
  priority: Priority;
  source: string;
  enabled: boolean;
  tags: Set<string>;
  exceptions: ExceptionInfo[];
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  capture: boolean;
  captureDuration: number;
  place: ItemPlace;
  index: number;
}

/** The keys an override may append to or replace, per item kind (Falco's rule_loader_reader). */
export const OVERRIDABLE = {
  list: { append: new Set(['items']), replace: new Set(['items']) },
  macro: { append: new Set(['condition']), replace: new Set(['condition']) },
  rule: {
    append: new Set(['condition', 'output', 'desc', 'tags', 'exceptions']),
    replace: new Set([
      'condition', 'output', 'desc', 'priority', 'tags', 'exceptions', 'enabled', 'warn_evttypes',
      'skip-if-unknown-filter', 'capture', 'capture_duration',
    ]),
  },
} as const;

/** Every key each item kind may carry; anything else is an "unknown key" warning. */
export const KNOWN_KEYS = {
  list: new Set(['list', 'items', 'append', 'override']),
  macro: new Set(['macro', 'condition', 'append', 'override']),
  rule: new Set([
    'rule', 'condition', 'output', 'desc', 'priority', 'source', 'enabled', 'tags', 'exceptions', 'warn_evttypes',
    'skip-if-unknown-filter', 'capture', 'capture_duration', 'append', 'override',
  ]),
  exception: new Set(['name', 'fields', 'comps', 'values']),
  plugin: new Set(['name', 'version', 'alternatives']),
} as const;
