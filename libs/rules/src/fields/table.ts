/**
 * The field table: every field conditions and formats can read, and how a name with its argument binds to an
 * accessor. `evt.arg.name` and `evt.arg[name]` are the same field; the longest table name that prefixes a dotted
 * name takes the rest as its argument.
 */
import { FieldError } from '../filter/errors.ts';
import { CONTAINER_FIELDS } from './container.ts';
import { EVT_FIELDS } from './evt.ts';
import { FD_FIELDS } from './fd.ts';
import { PROC_FIELDS } from './proc.ts';
import type { BoundField, FieldDef, FieldInfo } from './types.ts';

const DEFS: readonly FieldDef[] = [...EVT_FIELDS, ...PROC_FIELDS, ...FD_FIELDS, ...CONTAINER_FIELDS];
const BY_NAME = new Map(DEFS.map((d) => [d.name, d]));

export const FIELDS: readonly FieldInfo[] = DEFS.map(({ name, type, description, arg, argOptional }) => ({
  name, type, description, arg, argOptional,
}));

function resolveName(name: string, arg: string | null): { def: FieldDef; arg: string | null } | undefined {
  const exact = BY_NAME.get(name);
  if (exact) return { def: exact, arg };
  if (arg !== null) return undefined;
  // dotted argument: the longest known prefix that takes an argument
  for (let dot = name.lastIndexOf('.'); dot > 0; dot = name.lastIndexOf('.', dot - 1)) {
    const d = BY_NAME.get(name.slice(0, dot));
    if (d && d.arg !== 'none') return { def: d, arg: name.slice(dot + 1) };
  }
  return undefined;
}

/** Binds a field by name and optional argument. Throws FieldError for an unknown field or a bad argument. */
export function lookupField(name: string, arg: string | null = null): BoundField {
  const found = resolveName(name, arg);
  if (!found) throw new FieldError(name, `unknown field '${name}'`);
  const { def } = found;
  const display = found.arg === null ? def.name : `${def.name}[${found.arg}]`;
  if (found.arg !== null && def.arg === 'none') throw new FieldError(name, `field '${name}' takes no argument`);
  if (found.arg === null && !def.argOptional) throw new FieldError(name, `field '${name}' requires an argument`);
  if (found.arg !== null && def.arg === 'index' && !/^[0-9]+$/.test(found.arg)) {
    throw new FieldError(name, `field '${name}' takes a numeric index, not '${found.arg}'`);
  }
  let bound;
  try {
    bound = def.bind(found.arg);
  } catch (e) {
    throw new FieldError(name, `field '${display}': ${(e as Error).message}`);
  }
  return { info: def, display, type: bound.type ?? def.type, get: bound.get, nth: bound.nth ?? null };
}
