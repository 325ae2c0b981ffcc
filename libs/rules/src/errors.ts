/**
 * Typed errors and load diagnostics of the rules engine.
 *
 * A load reports every problem as a `Diagnostic` (Falco's error and warning codes, with file, line, column and the
 * source line for a caret). Only `RulesLoadError` is thrown out of a load, and it carries all of them.
 */

export const Severity = { Error: 'error', Warning: 'warning' } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** Falco's load_result codes, so users can search for them in Falco's documentation. */
export const LoadCode = {
  YamlParse: 'LOAD_ERR_YAML_PARSE',
  YamlValidate: 'LOAD_ERR_YAML_VALIDATE',
  Validate: 'LOAD_ERR_VALIDATE',
  CompileCondition: 'LOAD_ERR_COMPILE_CONDITION',
  CompileOutput: 'LOAD_ERR_COMPILE_OUTPUT',
  UnknownSource: 'LOAD_UNKNOWN_SOURCE',
  UnknownFilter: 'LOAD_UNKNOWN_FILTER',
  UnknownItem: 'LOAD_UNKNOWN_ITEM',
  UnknownKey: 'LOAD_UNKNOWN_KEY',
  UnusedMacro: 'LOAD_UNUSED_MACRO',
  UnusedList: 'LOAD_UNUSED_LIST',
  NoEvttype: 'LOAD_NO_EVTTYPE',
  DeprecatedItem: 'LOAD_DEPRECATED_ITEM',
  AppendNoValues: 'LOAD_APPEND_NO_VALUES',
  CompileWarning: 'LOAD_COMPILE_CONDITION',
} as const;
export type LoadCode = (typeof LoadCode)[keyof typeof LoadCode];

/** A place in a rules file. `line` and `col` are 1-based; `lineText` is the whole source line, for the caret. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
  offset: number;
  lineText: string;
}

export interface Diagnostic {
  severity: Severity;
  code: LoadCode;
  message: string;
  position: SourcePosition;
  /** The item the problem belongs to, as Falco names it: "rule 'Terminal shell in container'", "macro 'spawned_process'". */
  item: string;
}

/** `file:line:col: error: message (item)`, then the source line and a caret under the spot. */
export function formatDiagnostic(d: Diagnostic): string {
  const { file, line, col, lineText } = d.position;
  const head = `${file}:${line}:${col}: ${d.severity}: ${d.message}${d.item ? ` (${d.item})` : ''} [${d.code}]`;
  if (line === 0) return head;
  // Keep tabs in the padding so the caret lands under the same character in a terminal.
  const pad = lineText.slice(0, Math.max(0, col - 1)).replace(/[^\t]/g, ' ');
  return `${head}\n  ${lineText}\n  ${pad}^`;
}

/** Thrown when rules files do not load. The running ruleset, if any, is untouched. */
export class RulesLoadError extends Error {
  override readonly name = 'RulesLoadError';
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === Severity.Error);
    const first = errors[0];
    super(
      first
        ? `${errors.length} error(s) loading rules; first: ${first.position.file}:${first.position.line}:${first.position.col}: ${first.message}`
        : 'rules did not load',
    );
    this.diagnostics = diagnostics;
  }

  get errors(): Diagnostic[] {
    return this.diagnostics.filter((d) => d.severity === Severity.Error);
  }
}

/** A rules file could not be read from disk. */
export class RulesFileError extends Error {
  override readonly name = 'RulesFileError';
  constructor(
    readonly file: string,
    override readonly cause: unknown,
  ) {
    super(`cannot read rules file ${file}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Bad evaluation-stage or loader configuration (unknown rule_matching, bad priority…), naming the key. */
export class RulesConfigError extends Error {
  override readonly name = 'RulesConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`rules config '${key}': ${message}`);
  }
}
