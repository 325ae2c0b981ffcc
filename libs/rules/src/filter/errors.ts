/**
 * Errors of the condition language. Each names the place: the file (when known), the line and column in that file
 * (or in the condition text when no origin was given), and the offset into the condition text. `message` is
 * "file:line:col: reason"; `excerpt()` adds the condition line with a caret under the spot.
 */
import type { Pos } from './ast.ts';

/** Where a condition or format string sits in its rules file: the position of the YAML value's first character. */
export interface Origin {
  file?: string;
  line?: number;
  col?: number;
}

export interface SourcePlace {
  file: string | undefined;
  line: number;
  col: number;
  offset: number;
}

/** Maps a position in the text to the file: lines after the first start at column 1 of their own file line. */
export function placeIn(pos: Pos, origin: Origin | undefined): SourcePlace {
  const line0 = origin?.line ?? 1;
  const col0 = origin?.col ?? 1;
  return {
    file: origin?.file,
    line: line0 + pos.line - 1,
    col: pos.line === 1 ? col0 + pos.col - 1 : pos.col,
    offset: pos.offset,
  };
}

export function posAt(text: string, offset: number): Pos {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, col: offset - lineStart + 1 };
}

abstract class ConditionLanguageError extends Error {
  readonly file: string | undefined;
  readonly line: number;
  readonly col: number;
  readonly offset: number;

  constructor(
    readonly reason: string,
    /** the condition or format text the offset points into */
    readonly source: string,
    pos: Pos,
    origin: Origin | undefined,
  ) {
    const place = placeIn(pos, origin);
    super(`${place.file ?? '<condition>'}:${place.line}:${place.col}: ${reason}`);
    this.file = place.file;
    this.line = place.line;
    this.col = place.col;
    this.offset = place.offset;
  }

  /** The line of the text holding the error, and a caret under the spot. */
  excerpt(): string {
    const start = this.source.lastIndexOf('\n', this.offset - 1) + 1;
    let end = this.source.indexOf('\n', start);
    if (end < 0) end = this.source.length;
    const caretCol = this.offset - start;
    return `${this.source.slice(start, end)}\n${' '.repeat(Math.max(0, caretCol))}^`;
  }
}

/** The condition text does not follow the grammar. */
export class FilterSyntaxError extends ConditionLanguageError {
  override readonly name = 'FilterSyntaxError';
}

/** The condition parses but names an unknown field, macro or list, or applies an operator a field cannot take. */
export class FilterCompileError extends ConditionLanguageError {
  override readonly name = 'FilterCompileError';
  constructor(
    reason: string,
    source: string,
    pos: Pos,
    origin: Origin | undefined,
    /** what the error is about: the field, macro or list name */
    readonly subject: string,
  ) {
    super(reason, source, pos, origin);
  }
}

/** An output format string names an unknown field or is malformed. */
export class FormatError extends ConditionLanguageError {
  override readonly name = 'FormatError';
}

export type ConditionError = FilterSyntaxError | FilterCompileError | FormatError;

/** A field name or argument the table does not know. The compiler turns it into a FilterCompileError with a place. */
export class FieldError extends Error {
  override readonly name = 'FieldError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}
