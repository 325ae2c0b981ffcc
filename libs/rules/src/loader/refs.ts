/**
 * The macros and lists a parsed condition names, found by walking its AST, so the loader can report undefined
 * macros early and unused macros and lists as Falco does.
 */
import type { Expr, RightValue } from '../filter/ast.ts';
import type { Pos } from '../filter/ast.ts';

export interface Refs {
  macros: Map<string, Pos>;
  /** Every bare value in a list position: list names among them are references. */
  listCandidates: Set<string>;
}

export function conditionRefs(expr: Expr, out: Refs = { macros: new Map(), listCandidates: new Set() }): Refs {
  switch (expr.kind) {
    case 'and':
    case 'or':
      for (const c of expr.children) conditionRefs(c, out);
      return out;
    case 'not':
      return conditionRefs(expr.child, out);
    case 'macro':
      if (!out.macros.has(expr.name)) out.macros.set(expr.name, expr.pos);
      return out;
    case 'unary':
      return out;
    case 'binary':
      rightRefs(expr.right, out);
      return out;
  }
}

function rightRefs(right: RightValue, out: Refs): void {
  if (right.kind === 'list') for (const item of right.items) out.listCandidates.add(item.value);
  else if (right.kind === 'value') out.listCandidates.add(right.value);
}
