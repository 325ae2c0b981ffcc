/** The left side of a check (and `val()`/transformer right sides): a bound field, possibly under transformers. */
import { lookupField } from '../fields/table.ts';
import type { Accessor, FieldType, NthAccessor, Value } from '../fields/types.ts';
import { basename } from '../fields/render.ts';
import type { Operand as OperandExpr, TransformerName } from './ast.ts';

export interface Operand {
  get: Accessor;
  /** several values (proc.aname): a check passes if any value passes */
  nth: NthAccessor | null;
  type: FieldType;
  /** `tolower(proc.name)`, as written */
  display: string;
}

function b64decode(s: string): string | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 === 1) return null;
  return Buffer.from(s, 'base64').toString('latin1');
}

const STRING_TRANSFORMS: Record<Exclude<TransformerName, 'len'>, (s: string) => Value> = {
  tolower: (s) => s.toLowerCase(),
  toupper: (s) => s.toUpperCase(),
  b64: b64decode,
  basename,
};

/** Resolves fields and transformers. Throws FieldError (unknown field) or Error(reason) for a type mismatch. */
export function compileOperand(expr: OperandExpr): Operand {
  if (expr.kind === 'field') {
    const f = lookupField(expr.name, expr.arg);
    return { get: f.get, nth: f.nth, type: f.type, display: f.display };
  }
  const inner = compileOperand(expr.arg);
  const display = `${expr.name}(${inner.display})`;
  if (expr.name === 'len') {
    if (inner.nth) {
      const nth = inner.nth;
      return { get: (b, e) => {
        let n = 0;
        while (nth(b, e, n) !== undefined) n++;
        return n;
      }, nth: null, type: 'number', display };
    }
    if (inner.type !== 'string') throw new Error(`transformer 'len' needs a string field, '${inner.display}' is ${inner.type}`);
    const get = inner.get;
    return { get: (b, e) => {
      const v = get(b, e);
      return typeof v === 'string' ? Buffer.byteLength(v) : null;
    }, nth: null, type: 'number', display };
  }
  if (inner.type !== 'string') {
    throw new Error(`transformer '${expr.name}' needs a string field, '${inner.display}' is ${inner.type}`);
  }
  const fn = STRING_TRANSFORMS[expr.name];
  const apply = (v: Value | undefined) => (typeof v === 'string' ? fn(v) : v);
  const get = inner.get;
  const innerNth = inner.nth;
  return {
    get: (b, e) => apply(get(b, e)) as Value,
    nth: innerNth ? (b, e, i) => apply(innerNth(b, e, i)) : null,
    type: 'string',
    display,
  };
}
