/**
 * Event arguments by name or index, through the event table's parameter lists, rendered as libsinsp renders them:
 * `evt.arg.X` gives the resolved text when there is one (flags as "O_RDONLY|O_CLOEXEC", errors as "ENOENT", an fd
 * as "<f>/etc/passwd"), `evt.args` gives "name=raw(resolved)" pairs, `evt.rawarg.X` the value itself.
 */
import type { ArgValue, EventBatch, FdInfo, FlagTable, ParamInfo, ProcessInfo, SyscallEvent } from '@peregrine/event';
import { EVENT_TYPES, FD_TYPE_CHAR, FLAG_TABLES, renderEnum, renderFlags } from '@peregrine/event';
import { memo } from './memo.ts';
import { errnoName } from './render.ts';
import type { Accessor, Value } from './types.ts';

export function params(ev: SyscallEvent): readonly ParamInfo[] | undefined {
  const t = EVENT_TYPES[ev.type];
  return t ? (ev.dir === 0 ? t.enter : t.exit) : undefined;
}

/** libsinsp's protocol letter after an inet socket's type char: <4t>, <6u>. */
const L4_CHAR: Record<number, string> = { 6: 't', 17: 'u', 1: 'i', 255: 'r' };

/** The value as text, without resolution. */
function rawText(v: ArgValue, p: ParamInfo | undefined): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'bigint':
      // flag sets print in decimal whatever their declared format (sysdig: flags=4097(O_RDONLY|O_CLOEXEC))
      if (p?.fmt === 'hex' && p.type !== 'flags' && p.type !== 'mode' && p.type !== 'enum') return v.toString(16).toUpperCase();
      // printf's %#o: a leading 0 except for zero itself
      if (p?.fmt === 'oct') return v ? `0${v.toString(8)}` : '0';
      return String(v);
  }
  if (v === null) return '';
  // a NUL-separated buffer (execve args, env, cgroups): libsinsp prints each NUL as '.'
  if (Array.isArray(v)) return v.map((item) => `${item}.`).join('');
  if (v instanceof Uint8Array) {
    let s = '';
    for (const b of v) s += b >= 32 && b < 127 ? String.fromCharCode(b) : '.';
    return s;
  }
  // unix tuples carry the kernel addresses in sip/dip (dip followed by the path) and no ports
  if ('sip' in v) return v.family === 1 ? `${v.sip}->${v.dip}` : `${v.sip}:${v.sport}->${v.dip}:${v.dport}`;
  return v.family === 2 || v.family === 10 ? `${v.addr}:${v.port}` : v.addr;
}

const AT_FDCWD = -100;

/** Flag sets repeat (the same few open flags over and over): render each (table, value) once. */
const flagTexts = new Map<FlagTable, Map<number, string | null>>();
function flagsText(table: FlagTable, value: number): string | null {
  let byValue = flagTexts.get(table);
  if (!byValue) flagTexts.set(table, (byValue = new Map()));
  let s = byValue.get(value);
  if (s === undefined) {
    s = renderFlags(table, value) || null;
    if (byValue.size < 4096) byValue.set(value, s);
  }
  return s;
}

// the protocol letter appears once the socket has an address, as fd.l4proto does
const fdText = memo((f: FdInfo) => `<${FD_TYPE_CHAR[f.type]}${f.sip !== '' || f.dip !== '' ? L4_CHAR[f.l4proto] ?? '' : ''}>${f.name}`);

/**
 * A uid or gid argument by name (evt.arg.uid = www-data), from the batch's process records that carry that id:
 * the names were resolved against each process's own root.
 */
function accountName(batch: EventBatch, id: number, idOf: (p: ProcessInfo) => number, nameOf: (p: ProcessInfo) => string): string | null {
  for (let i = batch.procs.length - 1; i >= 0; i--) {
    const p = batch.procs[i]!;
    if (idOf(p) === id && nameOf(p)) return nameOf(p);
  }
  return null;
}

/** printf's %g: six significant digits, exponent form below 1e-4 or from 1e6, no trailing zeros. */
function printfG(x: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 6) {
    const [m, e] = x.toExponential(5).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/\.?0+$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(Math.max(0, 5 - exp));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** What libsinsp puts in parentheses after the raw value, or null when nothing resolves. */
function resolved(v: ArgValue, p: ParamInfo | undefined, batch: EventBatch, ev: SyscallEvent): string | null {
  if (!p || (typeof v !== 'number' && typeof v !== 'bigint')) return null;
  const n = Number(v);
  switch (p.type) {
    case 'errno':
      return n < 0 ? errnoName(-n) : null;
    case 'flags':
    case 'mode': {
      const table = p.table ? FLAG_TABLES[p.table] : undefined;
      return table ? flagsText(table, n) : null;
    }
    case 'enum': {
      const table = p.table ? FLAG_TABLES[p.table] : undefined;
      return table ? renderEnum(table, n) || null : null;
    }
    case 'uid':
      return accountName(batch, n, (q) => q.uid, (q) => q.user);
    case 'gid':
      return accountName(batch, n, (q) => q.gid, (q) => q.group);
    case 'reltime':
      return `${printfG(n / 1e9)}s`;
    case 'fd': {
      // the cwd marker of the *at() calls, else a negative fd is an error code (fd=-1(EPERM))
      if (n === AT_FDCWD) return 'AT_FDCWD';
      if (n < 0) return errnoName(-n);
      const f = ev.fd >= 0 ? batch.fds[ev.fd] : undefined;
      return f && f.num === n ? fdText(f) : null;
    }
    default:
      return null;
  }
}

/** `evt.arg.X`: the resolved text if any, else the raw text. */
export function argText(v: ArgValue | undefined, p: ParamInfo | undefined, batch: EventBatch, ev: SyscallEvent): Value {
  if (v === undefined || v === null) return null;
  return resolved(v, p, batch, ev) ?? rawText(v, p);
}

/** `evt.rawarg.X`: numbers stay numbers. */
export function argRaw(v: ArgValue | undefined, p: ParamInfo | undefined): Value {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string') return v;
  return rawText(v, p);
}

/** `evt.args`: every argument as name=raw, with the resolved text in parentheses where there is one. */
/**
 * `evt.args` as sysdig prints it: "name=value " for each argument the event carries (absent ones are skipped),
 * buffers longer than 80 characters cut to 77 and "...", pids followed by their process name when the batch knows it.
 */
export function renderArgs(batch: EventBatch, ev: SyscallEvent): string {
  // sysdig prints nothing for a syscall that reaches it only as a generic event
  if (EVENT_TYPES[ev.type]?.generic) return '';
  const ps = params(ev);
  let s = '';
  for (let i = 0; i < ev.args.length; i++) {
    const v = ev.args[i]!;
    if (v === null) continue;
    const p = ps?.[i];
    const r = p?.type === 'pid' ? processName(batch, v) : resolved(v, p, batch, ev);
    let text = rawText(v, p);
    if ((p?.type === 'bytes' || p?.type === 'stringarray') && text.length > PRINTED_BUFFER_MAX) {
      text = `${text.slice(0, PRINTED_BUFFER_MAX - 3)}...`;
    }
    s += `${p?.name ?? i}=${text}${r === null ? '' : `(${r})`} `;
  }
  return s;
}

/** sysdig's default snaplen for printed buffers. */
const PRINTED_BUFFER_MAX = 80;

function processName(batch: EventBatch, v: ArgValue): string | null {
  if (typeof v !== 'number') return null;
  for (let i = batch.procs.length - 1; i >= 0; i--) if (batch.procs[i]!.pid === v) return batch.procs[i]!.name;
  return null;
}

const NUMERIC_PARAMS = new Set<string>(['errno', 'fd', 'pid', 'int', 'uint', 'int64', 'uint64', 'uid', 'gid', 'dev', 'mode', 'flags', 'enum', 'reltime', 'abstime']);

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

export type ArgRender = (v: ArgValue | undefined, p: ParamInfo | undefined, batch: EventBatch, ev: SyscallEvent) => Value;

/** The first of several parameter names the event has (fs.path.name reads 'path', 'name' or 'pathname'). */
export function argByNames(names: readonly string[], render: ArgRender): Accessor {
  const slots = names.map(slotsOf);
  return (batch, ev) => {
    for (const s of slots) {
      const i = (ev.dir === 0 ? s.enter : s.exit)[ev.type];
      if (i !== undefined && i >= 0) return render(ev.args[i], params(ev)?.[i], batch, ev);
    }
    return null;
  };
}

/** `evt.arg[N]`. */
export function argByIndex(n: number, render: ArgRender): Accessor {
  return (batch, ev) => (n < ev.args.length ? render(ev.args[n], params(ev)?.[n], batch, ev) : null);
}
