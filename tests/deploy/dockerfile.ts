/** Reads services/Dockerfile into stages, enough to check it statically (no Docker engine runs here). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './manifests.ts';

export const DOCKERFILE = join(ROOT, 'services/Dockerfile');

export interface Instruction { op: string; args: string; line: number }
export interface Stage { name: string; base: string; instructions: Instruction[] }

export function parseDockerfile(text = readFileSync(DOCKERFILE, 'utf8')): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`services/Dockerfile:${start}: not an instruction: ${line}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`services/Dockerfile:${start}: bad FROM`);
      stages.push({ name: f[2] ?? `stage${stages.length}`, base: f[1]!, instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`services/Dockerfile:${start}: ${op} before FROM`);
      stages.at(-1)!.instructions.push({ op, args, line: start });
    }
  }
  return stages;
}

/** The last value of an instruction in a stage, following FROM <earlier stage> for inherited settings. */
export function effective(stages: Stage[], target: string, op: 'ENTRYPOINT' | 'CMD' | 'USER' | 'WORKDIR'): string | undefined {
  const stage = stages.find((s) => s.name === target);
  if (!stage) return undefined;
  const own = stage.instructions.filter((i) => i.op === op).at(-1);
  if (own) return own.args;
  return stages.some((s) => s.name === stage.base) ? effective(stages, stage.base, op) : undefined;
}

/** Exec-form JSON arrays (["node", "x"]) as string lists. */
export function execForm(args: string | undefined): string[] | undefined {
  return args === undefined ? undefined : (JSON.parse(args) as string[]);
}

/** COPY's sources (every word but the last and the --flags). */
export function copySources(i: Instruction): { from: string | undefined; sources: string[] } {
  const words = i.args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const plain = words.filter((w) => !w.startsWith('--'));
  return { from, sources: plain.slice(0, -1) };
}
