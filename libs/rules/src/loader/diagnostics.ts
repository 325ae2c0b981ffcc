/** Collects the errors and warnings of one load. */
import { Severity, type Diagnostic, type LoadCode, type SourcePosition } from '../errors.ts';

export class Diagnostics {
  readonly all: Diagnostic[] = [];

  error(code: LoadCode, message: string, position: SourcePosition, item = ''): void {
    this.all.push({ severity: Severity.Error, code, message, position, item });
  }

  warn(code: LoadCode, message: string, position: SourcePosition, item = ''): void {
    this.all.push({ severity: Severity.Warning, code, message, position, item });
  }

  get hasErrors(): boolean {
    return this.all.some((d) => d.severity === Severity.Error);
  }
}
