/**
 * The event types a condition can match, computed as Falco does: a check on evt.type gives its names, everything
 * else gives "any type"; and/or/not combine them as sets. A result of "all but these" is not a gate (null).
 */
import type { Expr } from './ast.ts';

/** 'only': exactly these types; 'except': every type but these ('except' ∅ = any type). */
export interface TypeSet {
  only: boolean;
  names: Set<string>;
}

const ANY = (): TypeSet => ({ only: false, names: new Set() });

function intersect(a: TypeSet, b: TypeSet): TypeSet {
  if (a.only && b.only) return { only: true, names: new Set([...a.names].filter((n) => b.names.has(n))) };
  if (a.only) return { only: true, names: new Set([...a.names].filter((n) => !b.names.has(n))) };
  if (b.only) return intersect(b, a);
  return { only: false, names: new Set([...a.names, ...b.names]) };
}

function union(a: TypeSet, b: TypeSet): TypeSet {
  if (a.only && b.only) return { only: true, names: new Set([...a.names, ...b.names]) };
  if (a.only) return { only: false, names: new Set([...b.names].filter((n) => !a.names.has(n))) };
  if (b.only) return union(b, a);
  return { only: false, names: new Set([...a.names].filter((n) => b.names.has(n))) };
}

/**
 * `checkValues(expr)` gives the literal names of an evt.type check's right side (lists already expanded), or null
 * when the check compares against another field. Negation is pushed down to the checks (De Morgan), so
 * `not (evt.type = open or proc.name = x)` still excludes open; a check on any other field allows any type under
 * either polarity.
 */
export function eventTypesOf(
  expr: Expr,
  macroBody: (name: string) => Expr | undefined,
  checkValues: (expr: Expr & { kind: 'binary' }) => string[] | null,
  negated = false,
): TypeSet {
  const sub = (e: Expr, neg: boolean) => eventTypesOf(e, macroBody, checkValues, neg);
  switch (expr.kind) {
    case 'and':
      return expr.children.map((c) => sub(c, negated)).reduce(negated ? union : intersect);
    case 'or':
      return expr.children.map((c) => sub(c, negated)).reduce(negated ? intersect : union);
    case 'not':
      return sub(expr.child, !negated);
    case 'macro': {
      const body = macroBody(expr.name);
      return body ? sub(body, negated) : ANY();
    }
    case 'unary':
      return ANY();
    case 'binary': {
      if (expr.left.kind !== 'field' || expr.left.name !== 'evt.type' || expr.left.arg !== null) return ANY();
      const names = checkValues(expr);
      if (!names) return ANY();
      if (expr.modifier) {
        // `= anyof`/`= oneof` name the types like `in`; anything else does not gate
        const equal = (expr.op === '=' || expr.op === '==') && expr.modifier !== 'allof';
        return equal ? { only: !negated, names: new Set(names) } : ANY();
      }
      switch (expr.op) {
        case '=':
        case '==':
        case 'in':
        case 'intersects':
          return { only: !negated, names: new Set(names) };
        case '!=':
          return { only: negated, names: new Set(names) };
        default:
          return ANY();
      }
    }
  }
}
