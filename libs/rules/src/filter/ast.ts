/**
 * The condition AST, as libsinsp shapes it: boolean nodes over checks, each check a field (possibly wrapped in
 * transformers) with an operator and a value, a list, or another field. Every node carries the position where it
 * starts in the condition text, so compile errors can point at the spot.
 */

export interface Pos {
  /** 0-based offset into the condition text */
  offset: number;
  /** 1-based, in the condition text */
  line: number;
  col: number;
}

export const UNARY_OPERATORS = ['exists'] as const;
export const NUM_OPERATORS = ['<=', '<', '>=', '>'] as const;
/** Word operators need a blank after them (libsinsp lexes 'glob ', 'contains '…). */
export const STR_OPERATORS = [
  '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith',
  'regex',
] as const;
export const LIST_OPERATORS = ['intersects', 'in', 'pmatch'] as const;
export const TRANSFORMERS = ['tolower', 'toupper', 'b64', 'basename', 'len'] as const;
export const MODIFIERS = ['oneof', 'anyof', 'allof'] as const;

export type UnaryOperator = (typeof UNARY_OPERATORS)[number];
export type BinaryOperator =
  | (typeof NUM_OPERATORS)[number]
  | (typeof STR_OPERATORS)[number]
  | (typeof LIST_OPERATORS)[number];
export type TransformerName = (typeof TRANSFORMERS)[number];
export type Modifier = (typeof MODIFIERS)[number];

export interface AndExpr { kind: 'and'; children: Expr[]; pos: Pos }
export interface OrExpr { kind: 'or'; children: Expr[]; pos: Pos }
export interface NotExpr { kind: 'not'; child: Expr; pos: Pos }
/** A bare identifier in check position: a macro reference. */
export interface MacroRef { kind: 'macro'; name: string; pos: Pos }
export interface UnaryCheck { kind: 'unary'; left: Operand; op: UnaryOperator; pos: Pos }
/**
 * `modifier` (libsinsp's list modifiers for string operators): `fd.name startswith anyof (/etc, /usr)` is the check
 * against each value joined by `or` (anyof), `and` (allof), or true when exactly one holds (oneof).
 */
export interface BinaryCheck {
  kind: 'binary';
  left: Operand;
  op: BinaryOperator;
  modifier?: Modifier;
  right: RightValue;
  pos: Pos;
}

/** `proc.aname[2]`, `evt.arg.flags`: `arg` is the text inside the brackets, null without brackets. */
export interface FieldRef { kind: 'field'; name: string; arg: string | null; pos: Pos }
/** `tolower(proc.name)`, nesting allowed. */
export interface TransformerExpr { kind: 'transformer'; name: TransformerName; arg: Operand; pos: Pos }
/** `val(proc.pname)` on the right-hand side: compare against another field of the same event. */
export interface ValExpr { kind: 'val'; field: FieldRef; pos: Pos }
/** One literal. After a list operator a bare identifier here may name a list. */
export interface ValueExpr { kind: 'value'; value: string; pos: Pos }
/** `(a, "b c", some_list)`: items that name a list are expanded at compile time. */
export interface ListExpr { kind: 'list'; items: ValueExpr[]; pos: Pos }

export type Operand = FieldRef | TransformerExpr;
export type RightValue = ValueExpr | ListExpr | TransformerExpr | ValExpr;
export type Expr = AndExpr | OrExpr | NotExpr | MacroRef | UnaryCheck | BinaryCheck;
