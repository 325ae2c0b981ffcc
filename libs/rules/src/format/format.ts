/**
 * Falco output format strings: text with `%field`, `%field[arg]`, `%Nfield` (exactly N characters),
 * `%tolower(field)` or `%(tolower(field))` for transformers, and `%%` for a literal percent. A field with no value
 * renders as `<NA>`. Compiled once into literal chunks and field readers.
 */
import type { EventBatch, SyscallEvent } from '@peregrine/event';
import { TRANSFORMERS, type Operand as OperandExpr, type Pos, type TransformerName } from '../filter/ast.ts';
import { FieldError, FormatError, posAt, type Origin } from '../filter/errors.ts';
import { compileOperand, type Operand } from '../filter/operand.ts';
import type { Value } from '../fields/types.ts';

export interface FormatField {
  /** as written: `proc.aname[2]`, `tolower(proc.name)` */
  name: string;
  /** typed value for output_fields: null when absent */
  get(batch: EventBatch, ev: SyscallEvent): string | number | boolean | null;
}

export interface CompiledFormat {
  render(batch: EventBatch, ev: SyscallEvent): string;
  fields: readonly FormatField[];
}

const FIELD_NAME = /[a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+)+/y;
const WIDTH = /[0-9]+/y;
const NA = '<NA>';

function toOutput(v: Value): string | number | boolean | null {
  return typeof v === 'bigint' ? Number(v) : v;
}

function toText(v: Value): string {
  return v === null ? NA : typeof v === 'string' ? v : String(v);
}

/** Reads one operand from `text` at `at`: a field with optional [arg], or transformer(operand). */
class FormatReader {
  at = 0;
  constructor(
    private readonly text: string,
    private readonly origin: Origin | undefined,
  ) {}

  operand(): OperandExpr {
    const pos = this.pos();
    for (const t of TRANSFORMERS) {
      if (this.text.startsWith(`${t}(`, this.at)) {
        this.at += t.length + 1;
        const arg = this.operand();
        if (this.text[this.at] !== ')') this.fail(`expected ')' closing the '${t}' transformer`);
        this.at++;
        return { kind: 'transformer', name: t as TransformerName, arg, pos };
      }
    }
    FIELD_NAME.lastIndex = this.at;
    const m = FIELD_NAME.exec(this.text);
    if (!m) this.fail('invalid formatting token: expected a field name after %');
    this.at += m[0].length;
    let arg: string | null = null;
    if (this.text[this.at] === '[') {
      const end = this.text.indexOf(']', this.at);
      if (end < 0) this.fail(`invalid formatting token '${m[0]}[': missing ']'`);
      arg = this.text.slice(this.at + 1, end);
      this.at = end + 1;
    }
    return { kind: 'field', name: m[0], arg, pos };
  }

  width(): number {
    WIDTH.lastIndex = this.at;
    const m = WIDTH.exec(this.text);
    if (!m) return 0;
    this.at += m[0].length;
    return Number(m[0]);
  }

  pos(): Pos {
    return posAt(this.text, this.at);
  }

  fail(reason: string, pos = this.pos()): never {
    throw new FormatError(reason, this.text, pos, this.origin);
  }
}

function bindOperand(expr: OperandExpr, r: FormatReader, start: Pos): Operand {
  try {
    return compileOperand(expr);
  } catch (e) {
    return r.fail(e instanceof FieldError ? `invalid formatting token: ${e.reason}` : (e as Error).message, start);
  }
}

type Chunk = string | { op: Operand; width: number };

/** Compiles a format string. Throws FormatError naming the bad token and its place. */
export function compileFormat(format: string, origin?: Origin): CompiledFormat {
  const chunks: Chunk[] = [];
  const fields: FormatField[] = [];
  const seen = new Set<string>();
  const r = new FormatReader(format, origin);
  let literal = '';
  while (r.at < format.length) {
    const c = format[r.at]!;
    if (c !== '%') {
      literal += c;
      r.at++;
      continue;
    }
    if (format[r.at + 1] === '%') {
      literal += '%';
      r.at += 2;
      continue;
    }
    const start = r.pos();
    r.at++;
    const width = r.width();
    const wrapped = format[r.at] === '(';
    if (wrapped) r.at++;
    const expr = r.operand();
    if (wrapped) {
      if (format[r.at] !== ')') r.fail("expected ')' closing '%('");
      r.at++;
    }
    const op = bindOperand(expr, r, start);
    if (literal) chunks.push(literal);
    literal = '';
    chunks.push({ op, width });
    if (!seen.has(op.display)) {
      seen.add(op.display);
      const get = op.get;
      fields.push({ name: op.display, get: (b, e) => toOutput(get(b, e)) });
    }
  }
  if (literal) chunks.push(literal);
  return { render: renderer(chunks), fields };
}

function renderer(chunks: readonly Chunk[]): CompiledFormat['render'] {
  return (batch, ev) => {
    let out = '';
    for (const c of chunks) {
      if (typeof c === 'string') out += c;
      else {
        const s = toText(c.op.get(batch, ev));
        // %Nfield: exactly N characters, padded or cut (sysdig prints [%2evt.type] as [so])
        out += c.width === 0 ? s : s.length > c.width ? s.slice(0, c.width) : s.padEnd(c.width);
      }
    }
    return out;
  };
}
