/**
 * Alerts in Falco's JSON shape. Only called for an event that matched a rule, so allocation here is fine.
 */
import { createHash } from 'node:crypto';
import type { Alert, EventBatch, SyscallEvent } from '@peregrine/event';
import type { CompiledRule } from '../loader/compile.ts';

const NS_PER_S = 1_000_000_000n;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `2026-11-28T10:36:52.123456789Z`, the `time` of Falco's JSON alerts. */
export function isoTimeNs(ts: bigint): string {
  const secs = ts / NS_PER_S;
  const ns = Number(ts % NS_PER_S);
  const d = new Date(Number(secs) * 1000);
  return `${d.toISOString().slice(0, 19)}.${pad(ns, 9)}Z`;
}

/** `%evt.time` as libsinsp prints it: `10:36:52.123456789` (UTC). */
function evtTime(ts: bigint): string {
  const ns = Number(ts % NS_PER_S);
  const d = new Date(Number(ts / NS_PER_S) * 1000);
  return `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(ns, 9)}`;
}

/** `%evt.time.iso8601`: `2026-11-28T10:36:52.123456789+0000`. */
function evtTimeIso(ts: bigint): string {
  return `${isoTimeNs(ts).slice(0, -1)}+0000`;
}

/**
 * A UUID (version-5 layout) from what identifies one alert: the node, the event's number and time, and the rule.
 * The same batch evaluated again (a redelivery after a restart) yields the same uuid, so the bus can drop the copy.
 */
export function alertUuid(node: string, evtNum: number, ts: bigint, rule: string): string {
  const h = createHash('sha1').update(`${node}\0${evtNum}\0${ts}\0${rule}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export function buildAlert(rule: CompiledRule, batch: EventBatch, ev: SyscallEvent, iso8601Prefix: boolean): Alert {
  const message = rule.format.render(batch, ev);
  const outputFields: Alert['output_fields'] = {};
  // Falco adds the prefix's time field to output_fields; ns since the epoch as a JSON number.
  if (iso8601Prefix) outputFields['evt.time.iso8601'] = ev.ts;
  else outputFields['evt.time'] = ev.ts;
  for (const f of rule.format.fields) {
    const v: unknown = f.get(batch, ev);
    outputFields[f.name] = typeof v === 'bigint' ? Number(v) : v === undefined ? null : (v as string | number | boolean | null);
  }
  // A key the output already has keeps its place (assignment to an existing key does not move it).
  for (const f of rule.extraFields) outputFields[f.name] = f.get(batch, ev);
  const prefixTime = iso8601Prefix ? evtTimeIso(ev.ts) : evtTime(ev.ts);
  return {
    uuid: alertUuid(batch.node, ev.num, ev.ts, rule.name),
    time: isoTimeNs(ev.ts),
    rule: rule.name,
    priority: rule.priority,
    source: rule.source,
    hostname: batch.node,
    output: `${prefixTime}: ${rule.priority} ${message}`,
    tags: [...rule.tags],
    output_fields: outputFields,
  };
}
