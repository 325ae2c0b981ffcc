/**
 * Loading rules: read every file in order into one collector, compile, and build a Ruleset. Nothing is shared
 * with a previous load, so a failed load changes nothing and the caller keeps running its old ruleset.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RulesFileError, RulesLoadError, type Diagnostic } from '../errors.ts';
import { DEFAULT_RULES_CONFIG, type RulesConfig } from '../ruleset/config.ts';
import { Ruleset } from '../ruleset/ruleset.ts';
import { Collector } from './collector.ts';
import { compileCollected } from './compile.ts';
import { Diagnostics } from './diagnostics.ts';
import { readRulesFile } from './reader.ts';
import { RulesFile } from './source.ts';

export interface RulesText {
  /** The file name errors name. */
  name: string;
  content: string;
}

export interface CheckResult {
  /** null when there were errors. */
  ruleset: Ruleset | null;
  diagnostics: Diagnostic[];
}

/** Loads rules text without throwing: for `rules validate`, which reports everything. */
export function checkRules(texts: readonly RulesText[], config: RulesConfig = DEFAULT_RULES_CONFIG): CheckResult {
  const diags = new Diagnostics();
  const collector = new Collector();
  for (const t of texts) readRulesFile(new RulesFile(t.name, t.content), collector, diags);
  if (diags.hasErrors) return { ruleset: null, diagnostics: diags.all };
  const rules = compileCollected(collector, diags, config.appendOutput);
  if (diags.hasErrors) return { ruleset: null, diagnostics: diags.all };
  return { ruleset: new Ruleset(rules, diags.all, config), diagnostics: diags.all };
}

/** Loads rules text; throws RulesLoadError (with every diagnostic) on any error. Warnings are on the ruleset. */
export function loadRulesText(texts: readonly RulesText[], config: RulesConfig = DEFAULT_RULES_CONFIG): Ruleset {
  const { ruleset, diagnostics } = checkRules(texts, config);
  if (!ruleset) throw new RulesLoadError(diagnostics);
  return ruleset;
}

const isRulesFile = (name: string) => name.endsWith('.yaml') || name.endsWith('.yml');

/** As Falco's rules_files: a directory stands for its *.yaml / *.yml files, in name order. */
export async function expandRulesPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let dir = false;
    try {
      dir = (await stat(p)).isDirectory();
    } catch (e) {
      throw new RulesFileError(p, e);
    }
    if (!dir) out.push(p);
    else for (const name of (await readdir(p)).filter(isRulesFile).sort()) out.push(join(p, name));
  }
  return out;
}

/** Reads rules files (or directories of them) in order. */
export async function readRulesFiles(paths: readonly string[]): Promise<RulesText[]> {
  const files = await expandRulesPaths(paths);
  return Promise.all(
    files.map(async (name) => {
      try {
        return { name, content: await readFile(name, 'utf8') };
      } catch (e) {
        throw new RulesFileError(name, e);
      }
    }),
  );
}

/** Reads and loads rules files (or directories of them) in order. Throws RulesFileError or RulesLoadError. */
export async function loadRules(files: readonly string[], config: RulesConfig = DEFAULT_RULES_CONFIG): Promise<Ruleset> {
  return loadRulesText(await readRulesFiles(files), config);
}
