/**
 * Alert rendering shared by destinations: Falco's text line, message templates (compiled once), and custom fields.
 */
import type { Alert } from '@peregrine/event';
import { OutputConfigError } from './errors.ts';

/** output_fields key carrying how many identical alerts a deduplicated alert stands for. */
export const COUNT_FIELD = 'peregrine.count';

export function alertCount(alert: Alert): number {
  const n = alert.output_fields[COUNT_FIELD];
  return typeof n === 'number' && n > 0 ? n : 1;
}

/**
 * Falco's text output: `HH:MM:SS.nnnnnnnnn: Priority message`. A Falco alert's `output` is already that line (its
 * time and priority prefix included), so it is printed as it is; only an alert whose output lacks the
 * `<time>: <Priority> ` prefix (one a user stage built) gets it here.
 */
export function textLine(alert: Alert): string {
  const n = alertCount(alert);
  return `${hasFalcoPrefix(alert) ? alert.output : `${clockOf(alert.time)}: ${alert.priority} ${alert.output}`}${n > 1 ? ` (repeated ${n} times)` : ''}`;
}

function clockOf(time: string): string {
  const t = time.indexOf('T');
  return t >= 0 ? time.slice(t + 1).replace(/Z$/, '') : time;
}

/** `10:36:52.123456789: Warning …` or, with Falco's time_format_iso_8601, `2026-11-28T10:36:52.123456789+0000: Warning …`. */
function hasFalcoPrefix(alert: Alert): boolean {
  const sep = alert.output.indexOf(`: ${alert.priority} `);
  return sep > 0 && /^(\d{4}-\d{2}-\d{2}T)?\d{2}:\d{2}:\d{2}\.\d{9}(\+0000)?$/.test(alert.output.slice(0, sep));
}

/** Returns the alert with `fields` merged into output_fields (the alert's own values win); null adds nothing. */
export function withCustomFields(alert: Alert, fields: Record<string, string> | null): Alert {
  if (fields === null) return alert;
  return { ...alert, output_fields: { ...fields, ...alert.output_fields } };
}

export type Template = (alert: Alert) => string;

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.\-[\]]+)\s*\}\}/g;
const TOP_LEVEL = ['rule', 'priority', 'output', 'source', 'hostname', 'time', 'uuid', 'tags', 'count'] as const;
type TopLevel = (typeof TOP_LEVEL)[number];

/**
 * Compiles a message template such as `[{{priority}}] {{rule}} in {{output_fields.k8s.ns.name}}`. Known names are
 * the alert's top-level keys, `tags` (comma-joined), `count`, and `output_fields.<field>`. Unknown names are a config
 * error, found at load time rather than per alert.
 */
export function compileTemplate(text: string, path: string): Template {
  const parts: Array<string | ((a: Alert) => string)> = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, m.index));
    parts.push(placeholder(m[1]!, path));
    last = m.index! + m[0].length;
  }
  parts.push(text.slice(last));
  const compiled = parts.filter((p) => p !== '');
  return (alert) => {
    let out = '';
    for (const p of compiled) out += typeof p === 'string' ? p : p(alert);
    return out;
  };
}

function placeholder(name: string, path: string): (a: Alert) => string {
  if (name.startsWith('output_fields.')) {
    const field = name.slice('output_fields.'.length);
    return (a) => {
      const v = a.output_fields[field];
      return v === undefined || v === null ? '<NA>' : String(v);
    };
  }
  if (!(TOP_LEVEL as readonly string[]).includes(name)) {
    throw new OutputConfigError(path, `unknown template placeholder {{${name}}}`);
  }
  const key = name as TopLevel;
  if (key === 'tags') return (a) => a.tags.join(',');
  if (key === 'count') return (a) => String(alertCount(a));
  return (a) => a[key];
}
