/**
 * The one place the loader meets the condition language (filter/, format/): parse, compile, and the shape of their
 * errors. Keeping it here means the loader's view of that interface is written down once.
 */
import { FilterCompileError, FilterSyntaxError, FormatError, type ConditionError } from '../filter/errors.ts';

export { parseCondition } from '../filter/parser.ts';
export { compileCondition, type CompiledFilter } from '../filter/compiler.ts';
export { compileFormat, type CompiledFormat, type FormatField } from '../format/format.ts';

export function isConditionError(e: unknown): e is ConditionError {
  return e instanceof FilterSyntaxError || e instanceof FilterCompileError || e instanceof FormatError;
}

/** The errors `skip-if-unknown-filter` turns into a warning: a field (or event type) we do not know. */
export function isUnknownFieldError(e: ConditionError): boolean {
  return /unknown field|nonexistent field|unknown event type|invalid formatting token/i.test(e.reason);
}
