/** Event arguments by name or index, through the event table's parameter lists. */
import type { ArgValue, ParamInfo, SyscallEvent } from '@peregrine/event';
import { EVENT_TYPES } from '@peregrine/event';
import type { Accessor, Value } from './types.ts';

export function params(ev: SyscallEvent): readonly ParamInfo[] | undefined {
  const t = EVENT_TYPES[ev.type];
  return t ? (ev.dir === 0 ? t.enter : t.exit) : undefined;
}

/** One argument as libsinsp prints it in evt.arg / evt.args. */
export function renderArg(v: ArgValue): Value {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return String(v);
    case 'bigint':
      return v.toString();
  }
  if (Array.isArray(v)) return v.join(' ');
  if (v instanceof Uint8Array) {
    let s = '';
    for (const b of v) s += b >= 32 && b < 127 ? String.fromCharCode(b) : '.';
    return s;
  }
  if ('sip' in v) return `${v.sip}:${v.sport}->${v.dip}:${v.dport}`;
  return v.port ? `${v.addr}:${v.port}` : v.addr;
}

export function rawArg(v: ArgValue | undefined): Value {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string') return v;
  return renderArg(v);
}

/** For each event type and direction, where the parameter called `name` sits (-1: not there). */
export function slotsOf(name: string): { enter: Int16Array; exit: Int16Array; numeric: boolean; found: boolean } {
  const enter = new Int16Array(EVENT_TYPES.length).fill(-1);
  const exit = new Int16Array(EVENT_TYPES.length).fill(-1);
  let numeric = true;
  let found = false;
  for (const t of EVENT_TYPES) {
    enter[t.code] = t.enter.findIndex((p) => p.name === name);
    exit[t.code] = t.exit.findIndex((p) => p.name === name);
    for (const p of [...t.enter, ...t.exit]) {
      if (p.name !== name) continue;
      found = true;
      if (!NUMERIC_PARAMS.has(p.type)) numeric = false;
    }
  }
  return { enter, exit, numeric, found };
}
const NUMERIC_PARAMS = new Set<string>(['errno', 'fd', 'pid', 'int', 'uint', 'int64', 'uint64', 'uid', 'gid', 'dev', 'mode', 'flags', 'enum']);

export function argByName(name: string, render: (v: ArgValue) => Value): Accessor {
  const { enter, exit } = slotsOf(name);
  return (_b, ev) => {
    const i = (ev.dir === 0 ? enter : exit)[ev.type];
    if (i === undefined || i < 0) return null;
    const v = ev.args[i];
    return v === undefined ? null : render(v);
  };
}

/** The first of several parameter names the event has (fs.path.name reads 'path', 'name' or 'pathname'). */
export function argByNames(names: readonly string[]): Accessor {
  const slots = names.map(slotsOf);
  return (_b, ev) => {
    for (const s of slots) {
      const i = (ev.dir === 0 ? s.enter : s.exit)[ev.type];
      if (i !== undefined && i >= 0) {
        const v = ev.args[i];
        return v === undefined ? null : renderArg(v);
      }
    }
    return null;
  };
}
