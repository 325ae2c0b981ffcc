import type { ArgKind, FieldDef, FieldInfo, FieldType } from './types.ts';

export interface ArgSpec {
  kind: ArgKind;
  optional: boolean;
}

export const indexArg = (optional: boolean): ArgSpec => ({ kind: 'index', optional });
export const keyArg = (optional: boolean): ArgSpec => ({ kind: 'key', optional });

/** One table entry. The binder receives the argument already checked against the spec (an index is all digits). */
export function def(
  name: string,
  type: FieldType,
  description: string,
  arg: ArgSpec | null,
  bind: FieldDef['bind'],
): FieldDef {
  const info: FieldInfo = { name, type, description, arg: arg?.kind ?? 'none', argOptional: arg?.optional ?? true };
  return { ...info, bind };
}
