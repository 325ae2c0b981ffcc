/**
 * `peregrine rules validate FILE…` checks rules files as `falco -V` does: every error and warning with its
 * position and a caret, exit status 1 on any error.
 * `peregrine rules list [--rules FILE…]` prints each rule's name, priority, source, tags and enabled state
 * (default: our own rules/).
 */
import { checkRules, formatDiagnostic, readRulesFiles, RulesFileError, Severity, type RulesText } from '@peregrine/rules';
import { defaultRulesFiles } from '@peregrine/evaluation';

const USAGE = 'usage: peregrine rules validate FILE…\n       peregrine rules list [--rules FILE…]\n';

export async function rules(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'validate') return validate(rest);
  if (sub === 'list') return list(rest);
  process.stderr.write(USAGE);
  return 2;
}

async function read(files: string[]): Promise<RulesText[] | null> {
  try {
    return await readRulesFiles(files);
  } catch (e) {
    if (!(e instanceof RulesFileError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return null;
  }
}

async function validate(files: string[]): Promise<number> {
  if (files.length === 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const texts = await read(files);
  if (!texts) return 1;
  const { ruleset, diagnostics } = checkRules(texts);
  for (const d of diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
  const errors = diagnostics.filter((d) => d.severity === Severity.Error).length;
  const warnings = diagnostics.length - errors;
  if (!ruleset) {
    process.stdout.write(`${files.join(', ')}: Invalid (${errors} error(s), ${warnings} warning(s))\n`);
    return 1;
  }
  process.stdout.write(`${files.join(', ')}: Ok, ${ruleset.rules.length} rules (${warnings} warning(s))\n`);
  return 0;
}

async function list(argv: string[]): Promise<number> {
  let files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rules') {
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) files.push(argv[++i]!);
    } else {
      process.stderr.write(`peregrine rules list: unknown option '${argv[i]}'\n${USAGE}`);
      return 2;
    }
  }
  if (files.length === 0) files = defaultRulesFiles();
  const texts = await read(files);
  if (!texts) return 1;
  const { ruleset, diagnostics } = checkRules(texts);
  if (!ruleset) {
    for (const d of diagnostics) if (d.severity === Severity.Error) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return 1;
  }
  const rows = ruleset.summaries().map((r) => [r.name, r.priority, r.source, r.tags.join(','), r.enabled ? 'enabled' : 'disabled']);
  const header = ['RULE', 'PRIORITY', 'SOURCE', 'TAGS', 'STATE'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ');
  process.stdout.write(`${[header, ...rows].map(line).join('\n')}\n`);
  return 0;
}
