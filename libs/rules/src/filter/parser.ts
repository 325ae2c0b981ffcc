/**
 * The condition parser: a recursive descent over libsinsp's filter grammar, one function per production.
 *
 * Productions (EBNF):
 *     Expr                  ::= OrExpr
 *     OrExpr                ::= AndExpr ('or' OrExprTail)*
 *     OrExprTail            ::= Blank AndExpr
 *                             | '(' Expr ')'
 *     AndExpr               ::= NotExpr ('and' AndExprTail)*
 *     AndExprTail           ::= Blank NotExpr
 *                             | '(' Expr ')'
 *     NotExpr               ::= ('not' Blank)* NotExprTail
 *     NotExprTail           ::= 'not(' Expr ')'
 *                             | Check
 *     Check                 ::= Field Condition
 *                             | FieldTransformer Condition
 *                             | Identifier
 *                             | '(' Expr ')'
 *     FieldTransformer      ::= FieldTransformerType FieldTransformerArg ')'
 *     FieldTransformerArg   ::= FieldTransformer
 *                             | Field
 *     FieldTransformerOrVal ::= FieldTransformer
 *                             | FieldTransformerVal Field ')'
 *     Condition             ::= UnaryOperator
 *                             | NumOperator (NumValue | FieldTransformerOrVal)
 *                             | StrOperator Modifier ListValue
 *                             | StrOperator (StrValue | FieldTransformerOrVal)
 *                             | ListOperator (ListValue | FieldTransformerOrVal)
 *     ListValue             ::= '(' (StrValue (',' StrValue)*)? ')'
 *                             | Identifier
 *     Field                 ::= FieldName ('[' FieldArg ']')?
 *     FieldArg              ::= QuotedStr | FieldArgBareStr
 *     NumValue              ::= HexNumber | Number
 *     StrValue              ::= QuotedStr | BareStr
 *
 * Operators:
 *     UnaryOperator         ::= 'exists'
 *     NumOperator           ::= '<=' | '<' | '>=' | '>'
 *     StrOperator           ::= '==' | '=' | '!='
 *                             | ('glob' | 'iglob' | 'contains' | 'icontains' | 'bcontains'
 *                                | 'startswith' | 'bstartswith' | 'endswith' | 'regex') Blank
 *     ListOperator          ::= 'intersects' | 'in' | 'pmatch'
 *     Modifier              ::= ('oneof' | 'anyof' | 'allof')    (only when a '(' follows)
 *     FieldTransformerVal   ::= 'val('
 *     FieldTransformerType  ::= 'tolower(' | 'toupper(' | 'b64(' | 'basename(' | 'len('
 *
 * Tokens (regular expressions):
 *     Blank                 ::= [ \b\t\n\r]+
 *     Identifier            ::= [a-zA-Z]+[a-zA-Z0-9_]*
 *     FieldName             ::= [a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+
 *     FieldArgBareStr       ::= [^ \b\t\n\r\[\]"']+
 *     HexNumber             ::= 0[xX][0-9a-zA-Z]+
 *     Number                ::= [+\-]?[0-9]+[\.]?[0-9]*([eE][+\-][0-9]+)?
 *     QuotedStr             ::= "(?:\\"|.)*?"|'(?:\\'|.)*?'
 *     BareStr               ::= [^ \b\t\n\r\(\),="']+
 *
 * Blanks may separate any two tokens except inside Field. Word operators accept any blank after them (libsinsp
 * requires a space; a tab or newline there is harmless and found in hand-written rules).
 */
import {
  LIST_OPERATORS, MODIFIERS, NUM_OPERATORS, STR_OPERATORS, TRANSFORMERS, UNARY_OPERATORS,
  type BinaryOperator, type Modifier, type Expr, type FieldRef, type ListExpr, type Operand, type Pos, type RightValue,
  type TransformerExpr, type TransformerName, type ValueExpr,
} from './ast.ts';
import { FilterSyntaxError, type Origin } from './errors.ts';
import { unescapeQuoted } from './escaping.ts';

/** Each production counts one level; Falco parses rules with a limit of 1000. */
export const MAX_DEPTH = 1000;

/** Condition text and origin of every parsed root, so compile errors in macros point into the macro's own text. */
export const SOURCES = new WeakMap<Expr, { text: string; origin: Origin | undefined }>();

const RE_NOT_BLANK = /not[ \b\t\n\r]+/y;
const RE_IDENTIFIER = /[a-zA-Z]+[a-zA-Z0-9_]*/y;
const RE_FIELD_NAME = /[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y;
const RE_FIELD_ARG_BARE = /[^ \b\t\n\r[\]"']+/y;
const RE_HEX_NUM = /0[xX][0-9a-zA-Z]+/y;
const RE_NUMBER = /[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?/y;
const RE_BARE_STR = /[^ \b\t\n\r(),="']+/y;
const WORD_OPERATOR = /^[a-z]/;

const STR_OPS_LEXED: ReadonlyArray<readonly [string, BinaryOperator]> = STR_OPERATORS.map(
  (op) => [op, op] as const,
);
const LIST_OPS_LEXED: ReadonlyArray<readonly [string, BinaryOperator]> = LIST_OPERATORS.map(
  (op) => [op, op] as const,
);
const TRANSFORMER_TOKENS = TRANSFORMERS.map((t) => `${t}(`);

function isBlank(c: number): boolean {
  return c === 32 || c === 8 || c === 9 || c === 10 || c === 13;
}

function quoteList(items: readonly string[]): string {
  return items.map((i) => `'${i}'`).join(', ');
}

const ALL_OPERATORS = [...UNARY_OPERATORS, ...NUM_OPERATORS, ...STR_OPERATORS, ...LIST_OPERATORS];

class Parser {
  private at = 0;
  private depth = 0;
  private lastToken = '';
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly text: string,
    private readonly origin: Origin | undefined,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  parse(): Expr {
    if (this.text.length === 0) this.fail('filter input string is empty');
    const expr = this.parseOr();
    if (this.at !== this.text.length) {
      this.fail(`unexpected token after '${this.lastToken}', expecting 'or', 'and'`);
    }
    return expr;
  }

  private parseOr(): Expr {
    this.enter();
    const pos = this.pos();
    const children: Expr[] = [];
    this.lexBlank();
    children.push(this.parseAnd());
    this.lexBlank();
    while (this.lexStr('or')) {
      if (this.lexBlank()) children.push(this.parseAnd());
      else if (this.lexStr('(')) children.push(this.parseEmbeddedRemainder());
      else this.fail("expected blank or '(' after 'or'");
      this.lexBlank();
    }
    this.depth--;
    return children.length > 1 ? { kind: 'or', children, pos } : children[0]!;
  }

  private parseAnd(): Expr {
    this.enter();
    const pos = this.pos();
    const children: Expr[] = [];
    this.lexBlank();
    children.push(this.parseNot());
    this.lexBlank();
    while (this.lexStr('and')) {
      if (this.lexBlank()) children.push(this.parseNot());
      else if (this.lexStr('(')) children.push(this.parseEmbeddedRemainder());
      else this.fail("expected blank or '(' after 'and'");
      this.lexBlank();
    }
    this.depth--;
    return children.length > 1 ? { kind: 'and', children, pos } : children[0]!;
  }

  private parseNot(): Expr {
    this.enter();
    this.lexBlank();
    const pos = this.pos();
    let negate = false;
    while (this.lexRegex(RE_NOT_BLANK)) negate = !negate;
    let child: Expr;
    if (this.lexStr('not(')) {
      negate = !negate;
      child = this.parseEmbeddedRemainder();
    } else {
      child = this.parseCheck();
    }
    this.depth--;
    return negate ? { kind: 'not', child, pos } : child;
  }

  /** The rest of a parenthesised expression, after its '('. */
  private parseEmbeddedRemainder(): Expr {
    this.enter();
    this.lexBlank();
    const child = this.parseOr();
    this.lexBlank();
    if (!this.lexStr(')')) this.fail("expected a ')' token");
    this.depth--;
    return child;
  }

  private parseCheck(): Expr {
    this.enter();
    this.lexBlank();
    const pos = this.pos();
    let result: Expr;
    if (this.lexStr('(')) {
      result = this.parseEmbeddedRemainder();
    } else if (this.lexRegex(RE_FIELD_NAME)) {
      result = this.parseCondition(this.parseFieldRemainder(this.lastToken, pos), pos);
    } else if (this.lexTransformerType()) {
      const name = this.lastToken.slice(0, -1) as TransformerName;
      result = this.parseCondition(this.parseTransformerRemainder(name, pos), pos);
    } else if (this.lexRegex(RE_IDENTIFIER)) {
      result = { kind: 'macro', name: this.lastToken, pos };
    } else {
      this.fail("expected a '(' token, a field check, or an identifier");
    }
    this.depth--;
    return result;
  }

  /** After a field name: the optional `[arg]`, which must follow the name directly. */
  private parseFieldRemainder(name: string, pos: Pos): FieldRef {
    this.enter();
    let arg: string | null = null;
    if (this.lexStr('[')) {
      if (!this.lexQuotedStr() && !this.lexRegex(RE_FIELD_ARG_BARE)) {
        this.fail('expected a valid field argument: a quoted string or a bare string');
      }
      arg = this.lastToken;
      if (!this.lexStr(']')) this.fail("expected a ']' token");
    }
    this.depth--;
    return { kind: 'field', name, arg, pos };
  }

  /** After `tolower(` and friends: a field or another transformer, then ')'. */
  private parseTransformerRemainder(name: TransformerName, pos: Pos): TransformerExpr {
    this.enter();
    this.lexBlank();
    const argPos = this.pos();
    let arg: Operand;
    if (this.lexTransformerType()) {
      arg = this.parseTransformerRemainder(this.lastToken.slice(0, -1) as TransformerName, argPos);
    } else if (this.lexRegex(RE_FIELD_NAME)) {
      arg = this.parseFieldRemainder(this.lastToken, argPos);
    } else {
      this.fail(`expected a field or a nested valid transformer: ${quoteList(['val', ...TRANSFORMERS])}`);
    }
    this.lexBlank();
    if (!this.lexStr(')')) this.fail("expected a ')' token closing the transformer");
    this.depth--;
    return { kind: 'transformer', name, arg, pos };
  }

  private parseCondition(left: Operand, pos: Pos): Expr {
    this.enter();
    this.lexBlank();
    let result: Expr;
    if (this.lexStr('exists')) {
      result = { kind: 'unary', left, op: 'exists', pos };
    } else {
      let op: BinaryOperator | null;
      let right: RightValue;
      if ((op = this.lexOperator(NUM_OPERATORS.map((o) => [o, o] as const), false))) {
        right = this.parseNumValueOrTransformer();
      } else if ((op = this.lexOperator(STR_OPS_LEXED, true))) {
        const modifier = this.lexModifier();
        if (modifier) {
          const listPos = this.pos();
          if (!this.lexStr('(')) this.fail(`expected a list after '${modifier}'`);
          result = { kind: 'binary', left, op, modifier, right: this.parseListRemainder(listPos), pos };
          this.depth--;
          return result;
        }
        right = this.parseStrValueOrTransformer();
      } else if ((op = this.lexOperator(LIST_OPS_LEXED, false))) {
        right = this.parseListValueOrTransformer();
      } else {
        this.fail(`expected a valid check operator: one of ${quoteList(ALL_OPERATORS)}`);
      }
      result = { kind: 'binary', left, op, right, pos };
    }
    this.depth--;
    return result;
  }

  private parseNumValueOrTransformer(): RightValue {
    this.enter();
    this.lexBlank();
    const pos = this.pos();
    const transformed = this.tryParseTransformerOrVal();
    let result: RightValue;
    if (transformed) result = transformed;
    else if (this.lexRegex(RE_HEX_NUM) || this.lexRegex(RE_NUMBER)) result = { kind: 'value', value: this.lastToken, pos };
    else this.fail(`expected a number value or a field with a valid transformer: ${quoteList(['val', ...TRANSFORMERS])}`);
    this.depth--;
    return result;
  }

  private parseStrValueOrTransformer(): RightValue {
    this.enter();
    this.lexBlank();
    const transformed = this.tryParseTransformerOrVal();
    const result = transformed ?? this.parseStrValue();
    this.depth--;
    return result;
  }

  /** A literal string: quoted (with libsinsp's escapes) or bare. */
  private parseStrValue(): ValueExpr {
    this.lexBlank();
    const pos = this.pos();
    if (this.lexQuotedStr() || this.lexRegex(RE_BARE_STR)) return { kind: 'value', value: this.lastToken, pos };
    return this.fail(`expected a string value or a field with a valid transformer: ${quoteList(['val', ...TRANSFORMERS])}`);
  }

  private parseListValueOrTransformer(): RightValue {
    this.enter();
    this.lexBlank();
    const pos = this.pos();
    let result: RightValue;
    if (this.lexStr('(')) {
      result = this.parseListRemainder(pos);
    } else {
      const transformed = this.tryParseTransformerOrVal();
      if (transformed) result = transformed;
      else if (this.lexRegex(RE_IDENTIFIER)) result = { kind: 'value', value: this.lastToken, pos };
      else this.fail(`expected a list, an identifier, or a field with a valid transformer: ${quoteList(['val', ...TRANSFORMERS])}`);
    }
    this.depth--;
    return result;
  }

  /** `a, "b", c)` after the list's '(': possibly empty. */
  private parseListRemainder(pos: Pos): ListExpr {
    this.enter();
    const items: ValueExpr[] = [];
    this.lexBlank();
    const itemPos = this.pos();
    if (this.lexQuotedStr() || this.lexRegex(RE_BARE_STR)) {
      items.push({ kind: 'value', value: this.lastToken, pos: itemPos });
      this.lexBlank();
      while (this.lexStr(',')) {
        this.lexBlank();
        const p = this.pos();
        if (!this.lexQuotedStr() && !this.lexRegex(RE_BARE_STR)) this.fail('expected a string value');
        items.push({ kind: 'value', value: this.lastToken, pos: p });
        this.lexBlank();
      }
    }
    if (!this.lexStr(')')) this.fail("expected a ')' token");
    this.depth--;
    return { kind: 'list', items, pos };
  }

  /** `val(field)` or a transformer over a field on the right-hand side; null when neither starts here. */
  private tryParseTransformerOrVal(): RightValue | null {
    this.lexBlank();
    const pos = this.pos();
    if (this.lexStr('val(')) {
      this.lexBlank();
      const fieldPos = this.pos();
      if (!this.lexRegex(RE_FIELD_NAME)) this.fail("expected a field within 'val' transformer");
      const field = this.parseFieldRemainder(this.lastToken, fieldPos);
      this.lexBlank();
      if (!this.lexStr(')')) this.fail("expected a ')' token closing the transformer");
      return { kind: 'val', field, pos };
    }
    if (this.lexTransformerType()) {
      return this.parseTransformerRemainder(this.lastToken.slice(0, -1) as TransformerName, pos);
    }
    return null;
  }

  // --- lexing ---

  private lexBlank(): boolean {
    const start = this.at;
    while (this.at < this.text.length && isBlank(this.text.charCodeAt(this.at))) this.at++;
    return this.at > start;
  }

  private lexStr(token: string): boolean {
    if (!this.text.startsWith(token, this.at)) return false;
    this.at += token.length;
    this.lastToken = token;
    return true;
  }

  private lexRegex(re: RegExp): boolean {
    re.lastIndex = this.at;
    const m = re.exec(this.text);
    if (!m) return false;
    this.lastToken = m[0];
    this.at += m[0].length;
    return true;
  }

  /** A list modifier after a string operator: the word, blanks, then '(' (so `proc.name = anyof` stays a value). */
  private lexModifier(): Modifier | null {
    const start = this.at;
    this.lexBlank();
    for (const m of MODIFIERS) {
      if (!this.text.startsWith(m, this.at)) continue;
      let i = this.at + m.length;
      while (i < this.text.length && isBlank(this.text.charCodeAt(i))) i++;
      if (this.text[i] !== '(') break;
      this.at = i;
      this.lastToken = m;
      return m;
    }
    this.at = start;
    return null;
  }

  private lexTransformerType(): boolean {
    for (const t of TRANSFORMER_TOKENS) if (this.lexStr(t)) return true;
    return false;
  }

  /** Word operators must be followed by a blank, so `containsx` is not `contains x`. */
  private lexOperator(ops: ReadonlyArray<readonly [string, BinaryOperator]>, wordNeedsBlank: boolean): BinaryOperator | null {
    for (const [token, op] of ops) {
      if (!this.text.startsWith(token, this.at)) continue;
      if (wordNeedsBlank && WORD_OPERATOR.test(token) && !isBlank(this.text.charCodeAt(this.at + token.length))) continue;
      this.at += token.length;
      this.lastToken = token;
      return op;
    }
    return null;
  }

  /** A quoted string: ends at the first unescaped delimiter (libsinsp looks only at the previous character). */
  private lexQuotedStr(): boolean {
    const delimiter = this.text[this.at];
    if (delimiter !== '"' && delimiter !== "'") return false;
    let prev = '\\';
    for (let i = this.at; i < this.text.length; i++) {
      const c = this.text[i]!;
      if (i > this.at && c === delimiter && prev !== '\\') {
        const raw = this.text.slice(this.at, i + 1);
        const start = this.at;
        this.at = i + 1;
        try {
          this.lastToken = unescapeQuoted(raw);
        } catch (e) {
          this.at = start;
          this.fail((e as Error).message);
        }
        return true;
      }
      prev = c;
    }
    return false;
  }

  // --- positions and errors ---

  private pos(): Pos {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= this.at) lo = mid;
      else hi = mid - 1;
    }
    return { offset: this.at, line: lo + 1, col: this.at - this.lineStarts[lo]! + 1 };
  }

  private enter(): void {
    if (++this.depth >= MAX_DEPTH) this.fail(`exceeded max depth limit of ${MAX_DEPTH}`);
  }

  private fail(reason: string): never {
    throw new FilterSyntaxError(reason, this.text, this.pos(), this.origin);
  }
}

/**
 * Parses a condition. `origin` is where the text starts in its rules file, so error positions point into the file.
 * Throws FilterSyntaxError.
 */
export function parseCondition(text: string, origin?: Origin): Expr {
  const expr = new Parser(text, origin).parse();
  SOURCES.set(expr, { text, origin });
  return expr;
}
