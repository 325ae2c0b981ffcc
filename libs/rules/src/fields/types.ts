import type { EventBatch, SyscallEvent } from '@peregrine/event';

/**
 * Field types as the compiler sees them; they decide which operators a field takes and how a literal is parsed.
 * libsinsp's many integer types collapse to `number` (64-bit times stay `bigint`), `abstime`/`reltime` are ns.
 */
export const FieldType = {
  String: 'string',
  Number: 'number',
  Bool: 'bool',
  Ip: 'ip',
  Net: 'net',
  /** ns timestamps and durations, as bigint */
  Time: 'time',
} as const;
export type FieldType = (typeof FieldType)[keyof typeof FieldType];

/** A field value; null is libsinsp's "no value" (`<NA>` in output, a failed check in a condition). */
export type Value = string | number | bigint | boolean | null;

export type Accessor = (batch: EventBatch, ev: SyscallEvent) => Value;
/** For fields with several values (proc.aname without index): the i-th value, undefined past the last. */
export type NthAccessor = (batch: EventBatch, ev: SyscallEvent, i: number) => Value | undefined;

export const ArgKind = {
  None: 'none',
  /** `[N]`, a number */
  Index: 'index',
  /** `[KEY]` or `.KEY` */
  Key: 'key',
} as const;
export type ArgKind = (typeof ArgKind)[keyof typeof ArgKind];

export interface FieldInfo {
  name: string;
  type: FieldType;
  description: string;
  arg: ArgKind;
  /** whether the field also works without its argument */
  argOptional: boolean;
}

/** A field with its argument resolved: what conditions and formats read. */
export interface BoundField {
  info: FieldInfo;
  /** the name as written, with its argument: `proc.aname[2]` */
  display: string;
  type: FieldType;
  get: Accessor;
  /** set when the field has several values: comparisons match if any value does */
  nth: NthAccessor | null;
}

/** A table entry: the metadata and how to bind an argument (null when absent). Throws Error(reason) on a bad arg. */
export interface FieldDef extends FieldInfo {
  bind(arg: string | null): { get: Accessor; nth?: NthAccessor; type?: FieldType };
}
