/**
 * `peregrine fields [PREFIX]`: every field conditions and output formats can use, with its type and description,
 * as `falco --list` prints them. A PREFIX (e.g. `proc.`) narrows the list; `--json` prints machine-readable rows.
 */
import { FIELDS, type FieldInfo } from '@peregrine/rules';

const USAGE = 'usage: peregrine fields [--json] [PREFIX]\n';

function signature(f: FieldInfo): string {
  if (f.arg === 'none') return f.name;
  const arg = f.arg === 'index' ? '[N]' : '[KEY]';
  return `${f.name}${arg}`;
}

function argNote(f: FieldInfo): string {
  if (f.arg === 'none') return '';
  return f.argOptional ? ' (argument optional)' : ' (argument required)';
}

export async function fields(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const rest = argv.filter((a) => a !== '--json');
  if (rest.length > 1 || rest.some((a) => a.startsWith('-'))) {
    process.stderr.write(USAGE);
    return 2;
  }
  const prefix = rest[0] ?? '';
  const selected = FIELDS.filter((f) => f.name.startsWith(prefix));
  if (selected.length === 0) {
    process.stderr.write(`peregrine fields: no field starts with '${prefix}'\n`);
    return 1;
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(selected, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...selected.map((f) => signature(f).length)) + 2;
  let out = '';
  let group = '';
  for (const f of selected) {
    const g = f.name.split('.')[0]!;
    if (g !== group) {
      out += `${out ? '\n' : ''}${g}\n`;
      group = g;
    }
    out += `  ${signature(f).padEnd(width)}${f.type.padEnd(8)}${f.description}${argNote(f)}\n`;
  }
  process.stdout.write(out);
  return 0;
}
