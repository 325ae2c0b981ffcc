/**
 * evt.*: the event itself. Arguments are found by name through the event table, so `evt.arg.name` reads the right
 * slot whatever the event type; the per-type slot is precomputed when a condition binds the field.
 */
import type { EventBatch, FdType, SyscallEvent } from '@peregrine/event';
import { EVENT_TYPES } from '@peregrine/event';
import { argByIndex, argByNames, argRaw, argText, renderArgs, slotsOf, type ArgRender } from './args.ts';
import { def, keyArg } from './define.ts';
import { renderDateTime, renderRes, renderTime } from './render.ts';
import type { FieldDef, FieldType } from './types.ts';

const TYPE_NAMES = EVENT_TYPES.map((t) => t.name);
const CATEGORIES = EVENT_TYPES.map((t) => t.category);
const IS_IO = EVENT_TYPES.map((t) => t.category.startsWith('io_'));
/** libsinsp prints an I/O event's category as the class of its fd; an event without an fd record is 'unknown'. */
const FD_CLASS: Record<FdType, string> = {
  0: 'unknown', 1: 'file', 2: 'file', 3: 'net', 4: 'net', 5: 'ipc', 6: 'ipc', 7: 'ipc', 8: 'ipc', 9: 'unknown',
  10: 'ipc', 11: 'unknown', 12: 'unknown', 13: 'unknown', 14: 'unknown', 15: 'unknown', 16: 'unknown', 17: 'unknown',
};
function category(batch: EventBatch, ev: SyscallEvent): string | null {
  if (!IS_IO[ev.type]) return CATEGORIES[ev.type] ?? null;
  const f = ev.fd >= 0 ? batch.fds[ev.fd] : undefined;
  return f ? FD_CLASS[f.type] : 'unknown';
}
/**
 * The exit parameter holding the return value: 'res', or an 'fd' first (open…); -1 when there is none. An exit
 * event recorded without that parameter (old captures' empty exits) has no return value either, as in libsinsp.
 */
const RES_SLOT = EVENT_TYPES.map((t) => (t.generic ? -1 : t.exit[0]?.name === 'fd' ? 0 : t.exit.findIndex((p) => p.name === 'res')));
function hasRes(ev: SyscallEvent): boolean {
  if (ev.dir !== 1) return false;
  const slot = RES_SLOT[ev.type]!;
  // a parameter the capture did not record decodes as null
  return slot >= 0 && ev.args[slot] !== null && ev.args[slot] !== undefined;
}
const OPEN_FAMILY = new Set(['open', 'openat', 'openat2', 'creat', 'open_by_handle_at']);
const IS_OPEN = EVENT_TYPES.map((t) => OPEN_FAMILY.has(t.name));

/** libscap's open flags (PPM encoding, see flag-tables.ts): O_RDWR is both bits. */
const PPM_O_RDONLY = 1;
const PPM_O_WRONLY = 2;
const PPM_O_CREAT = 4;
const ANY_EXEC_BIT = 0o111;

function argBinder(render: ArgRender, type: (name: string) => FieldType): FieldDef['bind'] {
  return (arg) => {
    if (arg === null) throw new Error('needs an argument: a parameter name or index');
    if (/^[0-9]+$/.test(arg)) return { get: argByIndex(Number(arg), render) };
    if (!slotsOf(arg).found) throw new Error(`no event has a parameter named '${arg}'`);
    return { get: argByNames([arg], render), type: type(arg) };
  };
}

type Slots = { enter: Int16Array; exit: Int16Array };
function numberArg(ev: SyscallEvent, at: Slots): number | null {
  const i = (ev.dir === 0 ? at.enter : at.exit)[ev.type]!;
  const v = i >= 0 ? ev.args[i] : undefined;
  return typeof v === 'number' ? v : null;
}

/** evt.is_open_*: only open-family events, from their flags (and mode) arguments, else the fd's open flags. */
function openCheck(test: (flags: number, mode: number) => boolean): FieldDef['bind'] {
  return () => {
    const flagsAt = slotsOf('flags');
    const modeAt = slotsOf('mode');
    return { get: (batch: EventBatch, ev: SyscallEvent) => {
      if (!IS_OPEN[ev.type]) return false;
      const flags = numberArg(ev, flagsAt) ?? (ev.fd >= 0 ? batch.fds[ev.fd]?.openFlags : undefined);
      return flags === undefined ? false : test(flags, numberArg(ev, modeAt) ?? 0);
    } };
  };
}

export const EVT_FIELDS: FieldDef[] = [
  def('evt.num', 'number', 'event number', null, () => ({ get: (_b, ev) => ev.num })),
  def('evt.time', 'string', 'event timestamp as a time string with nanoseconds (UTC)', null, () => ({ get: (_b, ev) => renderTime(ev.ts) })),
  def('evt.time.s', 'string', 'event timestamp as a time string with no decimals (UTC)', null, () => ({ get: (_b, ev) => renderTime(ev.ts).slice(0, 8) })),
  def('evt.datetime', 'string', 'event timestamp as a date and time string with nanoseconds (UTC)', null, () => ({ get: (_b, ev) => renderDateTime(ev.ts) })),
  def('evt.rawtime', 'time', 'absolute event timestamp, ns since the epoch', null, () => ({ get: (_b, ev) => ev.ts })),
  def('evt.rawtime.s', 'number', 'integer part of the event timestamp (seconds since the epoch)', null, () => ({ get: (_b, ev) => Number(ev.ts / 1_000_000_000n) })),
  def('evt.rawtime.ns', 'number', 'fractional part of the event timestamp (ns)', null, () => ({ get: (_b, ev) => Number(ev.ts % 1_000_000_000n) })),
  def('evt.type', 'string', 'the name of the event (e.g. open)', null, () => ({ get: (_b, ev) => TYPE_NAMES[ev.type] ?? null })),
  def('evt.dir', 'string', "event direction: '>' for enter events, '<' for exit events", null, () => ({ get: (_b, ev) => (ev.dir === 0 ? '>' : '<') })),
  def('evt.category', 'string', 'the event category (file, net, process…)', null, () => ({ get: category })),
  def('evt.cpu', 'number', 'number of the CPU where the event happened', null, () => ({ get: (_b, ev) => ev.cpu })),
  def('evt.hostname', 'string', 'the name of the host the event came from', null, () => ({ get: (b) => b.node })),
  def('evt.args', 'string', 'all the event arguments, as name=value pairs', null, () => ({ get: renderArgs })),
  def('evt.arg', 'string', 'one argument, by name (evt.arg.name, evt.arg[name]) or by index (evt.arg[0])', keyArg(false), argBinder(argText, () => 'string')),
  def('evt.rawarg', 'string', 'one argument by name, unformatted: numbers stay numbers', keyArg(false), argBinder((v, p) => argRaw(v, p), (name) => (slotsOf(name).numeric ? 'number' : 'string'))),
  def('evt.res', 'string', "the event's return value as a string: SUCCESS or the error code (ENOENT…)", null, () => ({ get: (_b, ev) => (hasRes(ev) ? renderRes(ev.res) : null) })),
  def('evt.rawres', 'number', 'the return value of the event, as a number', null, () => ({ get: (_b, ev) => (hasRes(ev) ? ev.res : null) })),
  def('evt.failed', 'bool', 'true for events that returned an error status', null, () => ({ get: (_b, ev) => hasRes(ev) && ev.res < 0 })),
  def('evt.is_open_read', 'bool', 'true for open/openat/openat2/creat events where the path was opened for reading', null, openCheck((f) => (f & PPM_O_RDONLY) !== 0)),
  def('evt.is_open_write', 'bool', 'true for open/openat/openat2/creat events where the path was opened for writing', null, openCheck((f) => (f & PPM_O_WRONLY) !== 0)),
  def('evt.is_open_exec', 'bool', 'true for open/openat/openat2/creat events that create a file with execute permission', null, openCheck((f, mode) => (f & PPM_O_CREAT) !== 0 && (mode & ANY_EXEC_BIT) !== 0)),
];

