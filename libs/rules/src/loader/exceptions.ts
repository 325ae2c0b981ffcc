/**
 * Rule exceptions become condition text exactly as Falco's rule_loader_compiler builds it: the rule's condition in
 * parentheses, then ` and not (…)` per exception. Values with a space are double-quoted unless already quoted; a
 * scalar value for a list operator is wrapped in parentheses. The text is generated, so its errors point at the
 * exception that produced it.
 */
import type { ExceptionInfo } from './items.ts';
import { LIST_OPERATORS } from './collector.ts';
import type { SourceText } from './source.ts';
import { ItemError } from './yaml-values.ts';

function quoteItem(e: string): string {
  return e.includes(' ') && e[0] !== '"' && e[0] !== "'" ? `"${e}"` : e;
}

function parenItem(e: string): string {
  return e[0] !== '(' ? `(${e})` : e;
}

/** The ` and not (…)` text of one exception, or '' when it has no values. */
export function exceptionCondition(ex: ExceptionInfo): string {
  const fields = ex.fields!;
  const comps = ex.comps!;
  if (!fields.isList) {
    const values: string[] = [];
    for (const v of ex.values) {
      if (v.isList) throw new ItemError('Expected values array to contain a list of strings', ex.place.offset);
      values.push(quoteItem(v.item));
    }
    return values.length === 0 ? '' : `(${fields.item} ${comps.item} (${values.join(', ')}))`;
  }
  let icond = '(';
  for (const tuple of ex.values) {
    if (!tuple.isList || tuple.items.length !== fields.items.length) {
      throw new ItemError('Fields and values lists must have equal length', ex.place.offset);
    }
    icond += icond === '(' ? '(' : ' or (';
    fields.items.forEach((f, k) => {
      const value = tuple.items[k]!;
      const comp = comps.items[k]!.item;
      let istr: string;
      if (value.isList) istr = `(${value.items.map((v) => quoteItem(v.item)).join(', ')})`;
      else istr = LIST_OPERATORS.has(comp) ? parenItem(value.item) : quoteItem(value.item);
      icond += `${k === 0 ? '' : ' and '} ${f.item} ${comp} ${istr}`;
    });
    icond += ')';
  }
  icond += ')';
  return icond === '()' ? '' : icond;
}

/** Adds the rule's exceptions to its condition text (a copy is the caller's business). */
export function applyExceptions(condition: SourceText, exceptions: readonly ExceptionInfo[]): void {
  if (exceptions.length === 0) return;
  const first = exceptions[0]!.place;
  condition.wrap('(', ')', first.file, first.offset);
  for (const ex of exceptions) {
    const text = exceptionCondition(ex);
    if (text) condition.appendGenerated(` and not ${text}`, ex.place.file, ex.place.offset);
  }
}
