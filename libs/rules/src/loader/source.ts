/**
 * Rules file text with positions: YAML nodes map back to file:line:col, and an offset inside a parsed scalar (a
 * condition, folded over several lines) maps back to the spot in the file, so errors get a caret under it.
 */
import { LineCounter, isScalar, type Node, type Scalar } from 'yaml';
import type { SourcePosition } from '../errors.ts';

export class RulesFile {
  readonly lines: LineCounter = new LineCounter();

  constructor(
    readonly name: string,
    readonly content: string,
  ) {}

  position(offset: number): SourcePosition {
    if (this.content.length === 0) return { file: this.name, line: 1, col: 1, offset: 0, lineText: '' };
    const at = Math.max(0, Math.min(offset, this.content.length));
    const { line, col } = this.lines.linePos(at);
    const start = this.lines.lineStarts[line - 1] ?? 0;
    const nl = this.content.indexOf('\n', start);
    const lineText = this.content.slice(start, nl < 0 ? undefined : nl).replace(/\r$/, '');
    return { file: this.name, line, col, offset: at, lineText };
  }

  nodePosition(node: Node | null | undefined, fallback = 0): SourcePosition {
    return this.position(node?.range?.[0] ?? fallback);
  }
}

/** A position not inside any file (configuration, generated text). */
export function noPosition(file: string): SourcePosition {
  return { file, line: 0, col: 0, offset: 0, lineText: '' };
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/**
 * Where character `valueOffset` of a scalar's parsed value sits in the file. Folding, indentation and quotes change
 * the text between file and value, so we walk both in step: whitespace in the value matches any run of whitespace
 * in the file, other characters match themselves (an escape sequence is skipped over approximately).
 */
export function scalarOffset(file: RulesFile, node: Scalar, valueOffset: number): number {
  const [start, end] = node.range ?? [0, 0, 0];
  const src = file.content;
  let j = start;
  if (node.type === 'BLOCK_FOLDED' || node.type === 'BLOCK_LITERAL') {
    const nl = src.indexOf('\n', start);
    j = nl < 0 ? end : nl + 1;
  } else if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') {
    j = start + 1;
  }
  const value = String(node.value);
  const stop = Math.min(valueOffset, value.length);
  for (let i = 0; i < stop && j < end; i++) {
    const c = value[i];
    if (isSpace(c)) {
      if (isSpace(src[j])) while (j < end && isSpace(src[j])) j++;
      continue;
    }
    let k = j;
    while (k < end && src[k] !== c && isSpace(src[k])) k++;
    j = src[k] === c ? k + 1 : j + 1;
  }
  while (j < end && isSpace(src[j])) j++;
  return Math.min(j, Math.max(start, end - 1));
}

/** A piece of a condition or output: text and the scalar it came from (null for text we generated). */
interface Segment {
  start: number;
  text: string;
  file: RulesFile;
  node: Scalar | null;
  /** Where generated text points: the item that caused it. */
  anchor: number;
}

/**
 * A condition or output as Falco builds it: the rule's own text, then text appended by later items (joined with a
 * space) or generated from exceptions. Offsets into the whole map back to the piece and the file it came from.
 */
export class SourceText {
  private segments: Segment[] = [];
  private value = '';

  static from(file: RulesFile, node: Node | null | undefined): SourceText {
    const t = new SourceText();
    t.push(file, node);
    return t;
  }

  clone(): SourceText {
    const t = new SourceText();
    t.segments = this.segments.map((s) => ({ ...s }));
    t.value = this.value;
    return t;
  }

  get text(): string {
    return this.value;
  }

  /** Appends a scalar's text, separated by a space as Falco's append does. */
  append(file: RulesFile, node: Node | null | undefined): void {
    if (this.value.length > 0) this.value += ' ';
    this.push(file, node);
  }

  /** Appends another text (a later item's condition), separated by a space, keeping its positions. */
  appendSource(other: SourceText): void {
    if (this.value.length > 0) this.value += ' ';
    const base = this.value.length;
    for (const s of other.segments) this.segments.push({ ...s, start: base + s.start });
    this.value += other.value;
  }

  /** Appends text we generated (exceptions), whose errors point at `anchor`. */
  appendGenerated(text: string, file: RulesFile, anchor: number): void {
    this.segments.push({ start: this.value.length, text, file, node: null, anchor });
    this.value += text;
  }

  /** Prepends generated text (the parenthesis Falco wraps a condition in before adding exceptions). */
  wrap(before: string, after: string, file: RulesFile, anchor: number): void {
    for (const s of this.segments) s.start += before.length;
    this.segments.unshift({ start: 0, text: before, file, node: null, anchor });
    this.value = before + this.value;
    this.appendGenerated(after, file, anchor);
  }

  position(offset: number): SourcePosition {
    let seg = this.segments[0];
    for (const s of this.segments) {
      if (s.start <= offset) seg = s;
      else break;
    }
    if (!seg) return { file: '', line: 0, col: 0, offset: 0, lineText: '' };
    if (seg.node === null) return seg.file.position(seg.anchor);
    return seg.file.position(scalarOffset(seg.file, seg.node, offset - seg.start));
  }

  private push(file: RulesFile, node: Node | null | undefined): void {
    const text = isScalar(node) ? String(node.value ?? '') : '';
    const anchor = node?.range?.[0] ?? 0;
    this.segments.push({ start: this.value.length, text, file, node: isScalar(node) ? node : null, anchor });
    this.value += text;
  }
}
