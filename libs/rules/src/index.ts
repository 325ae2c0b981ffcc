// The rules engine's public surface.

// Loading and the ruleset
export {
  loadRules, loadRulesText, checkRules, readRulesFiles, expandRulesPaths, type RulesText, type CheckResult,
} from './loader/load.ts';
export type { CompiledRule } from './loader/compile.ts';
export { ENGINE_VERSION, BUILTIN_PLUGINS } from './loader/requirements.ts';
export { Ruleset, type RuleSummary } from './ruleset/ruleset.ts';
export {
  parseRulesConfig, DEFAULT_RULES_CONFIG, RuleMatching, type RulesConfig, type SelectionStep,
} from './ruleset/config.ts';
export {
  parseAppendOutput, expandEnv, type AppendOutputEntry, type AppendMatch, type ExtraField,
} from './ruleset/append-output.ts';
export { RulesReloader, type ReloaderOptions, type ReloadLogger } from './ruleset/reloader.ts';
export { alertUuid, isoTimeNs, buildAlert } from './ruleset/alert.ts';
export {
  RulesLoadError, RulesFileError, RulesConfigError, LoadCode, Severity, formatDiagnostic, type Diagnostic,
  type SourcePosition,
} from './errors.ts';

// The condition language: parser, compiler, fields, output formats
export { parseCondition, MAX_DEPTH } from './filter/parser.ts';
export { compileCondition, type CompiledFilter, type CompileEnv } from './filter/compiler.ts';
export { globToRegExp } from './filter/glob.ts';
export { HostResolver, hostResolver, systemLookup, type HostLookup } from './filter/host-names.ts';
export type { Expr, Pos, BinaryOperator, UnaryOperator, TransformerName, Modifier } from './filter/ast.ts';
export {
  FilterSyntaxError, FilterCompileError, FormatError, FieldError, type ConditionError, type Origin,
} from './filter/errors.ts';
export { FIELDS, lookupField } from './fields/table.ts';
export type { FieldInfo, FieldType, BoundField, Value } from './fields/types.ts';
export { compileFormat, type CompiledFormat, type FormatField } from './format/format.ts';
