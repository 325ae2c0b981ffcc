/**
 * Flood control, ahead of every destination.
 *
 * Dedup: the first alert of a (rule, host, key fields) opens a window of T seconds and is held; identical alerts in
 * the window only raise its count; when the window closes one alert goes out with `output_fields['peregrine.count']`.
 * Rate limit: at most N alerts per rule per interval pass; the rest are counted (metric
 * `peregrine_alerts_suppressed_total`) and reported by one summary alert per rule and interval, which keeps the
 * rule, tags and source so it routes where the suppressed alerts would have gone.
 *
 * Held windows and suppressed counts are journalled (append-only, before the alert's `handle()` resolves), so a
 * restart neither loses them nor the alerts the host already acked; on restart expired windows are flushed at once.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { parsePriority, priorityLevel, type Alert } from '@peregrine/event';
import { decodeJson, encodeJson } from '@peregrine/bus';
import { COUNT_FIELD } from './alert-format.ts';
import type { DedupConfig, RateLimitConfig } from './config.ts';

export const SUPPRESSED_FIELD = 'peregrine.suppressed';

interface Window {
  alert: Alert;
  count: number;
  deadline: number;
}

interface Suppressed {
  alert: Alert;
  count: number;
  worst: string;
}

type Record =
  | { o: string; a: Alert; d: number; n: number }
  | { i: string }
  | { c: string }
  | { S: string; a: Alert; n: number; w: string }
  | { s: string; w: string }
  | { r: string };

export interface FloodCounters {
  deduplicated(rule: string): void;
  suppressed(rule: string): void;
  /** A timed flush or summary could not be passed on (e.g. a spool write failed); it is retried on the next tick. */
  flushFailed(err: unknown): void;
}

const VOLATILE_FIELD = /^evt\.(time|rawtime|datetime|reltime|num|outputtime)/;
const COMPACT_BYTES = 8 * 2 ** 20;

export class FloodControl {
  private readonly windows = new Map<string, Window>();
  private readonly suppressed = new Map<string, Suppressed>();
  private readonly allowed = new Map<string, number>();
  private intervalStart = 0;
  private fd: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private sweeping: Promise<void> | null = null;

  constructor(
    private readonly dedup: DedupConfig,
    private readonly rate: RateLimitConfig,
    private readonly journalPath: string,
    private readonly emit: (alert: Alert) => Promise<void>,
    private readonly counters: FloodCounters,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dirname(journalPath), { recursive: true });
    this.replay();
    this.fd = openSync(journalPath, 'a');
    this.intervalStart = now();
    if (dedup.windowSeconds > 0 || this.windows.size > 0) {
      this.timers.push(setInterval(() => { this.sweep().catch(counters.flushFailed); }, Math.min(250, Math.max(10, dedup.windowSeconds * 250))));
    }
    if (rate.perRule > 0 || this.suppressed.size > 0) {
      this.timers.push(setInterval(() => { this.report().catch(counters.flushFailed); }, Math.max(1, rate.intervalSeconds) * 1000));
    }
    for (const t of this.timers) t.unref();
    if (this.windows.size > 0) this.sweep().catch(counters.flushFailed);
  }

  get enabled(): boolean {
    return this.dedup.windowSeconds > 0 || this.rate.perRule > 0;
  }

  /** Takes one alert: passes it on (resolving once delivered or queued), holds it in a window, or counts it. */
  async admit(alert: Alert): Promise<void> {
    if (this.dedup.windowSeconds > 0) {
      const key = this.key(alert);
      const w = this.windows.get(key);
      if (w) {
        w.count++;
        this.write({ i: key });
        this.counters.deduplicated(alert.rule);
        return;
      }
      const deadline = this.now() + this.dedup.windowSeconds * 1000;
      this.windows.set(key, { alert, count: 1, deadline });
      this.write({ o: key, a: alert, d: deadline, n: 1 });
      return;
    }
    return this.limit(alert);
  }

  /** Delivers every window whose time is up. Called by the timer; tests may call it too. */
  sweep(): Promise<void> {
    this.sweeping ??= this.flushDue().finally(() => { this.sweeping = null; });
    return this.sweeping;
  }

  /** Emits one summary alert per rule with suppressed alerts, then starts counting afresh. */
  async report(): Promise<void> {
    this.allowed.clear();
    this.intervalStart = this.now();
    for (const [rule, s] of [...this.suppressed]) {
      await this.emit(summaryAlert(s, this.rate, this.now()));
      this.suppressed.delete(rule);
      this.write({ r: rule });
    }
    this.compact();
  }

  /** Stops the timers and lets a flush in progress finish; open windows stay in the journal for the next start. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.sweeping?.catch(() => {});
    closeSync(this.fd);
  }

  private async flushDue(): Promise<void> {
    const now = this.now();
    for (const [key, w] of [...this.windows]) {
      if (w.deadline > now) continue;
      const out = w.count > 1 ? { ...w.alert, output_fields: { ...w.alert.output_fields, [COUNT_FIELD]: w.count } } : w.alert;
      await this.limit(out);
      this.windows.delete(key);
      this.write({ c: key });
    }
    this.compact();
  }

  private async limit(alert: Alert): Promise<void> {
    if (this.rate.perRule <= 0) return this.emit(alert);
    if (this.now() - this.intervalStart >= this.rate.intervalSeconds * 1000) {
      this.allowed.clear();
      this.intervalStart = this.now();
    }
    const n = this.allowed.get(alert.rule) ?? 0;
    if (n < this.rate.perRule) {
      this.allowed.set(alert.rule, n + 1);
      return this.emit(alert);
    }
    const s = this.suppressed.get(alert.rule);
    if (s) {
      s.count++;
      s.worst = worse(s.worst, alert.priority);
      this.write({ s: alert.rule, w: alert.priority });
    } else {
      this.suppressed.set(alert.rule, { alert, count: 1, worst: alert.priority });
      this.write({ S: alert.rule, a: alert, n: 1, w: alert.priority });
    }
    this.counters.suppressed(alert.rule);
  }

  private key(alert: Alert): string {
    let k = `${alert.rule}\u0000${alert.hostname}`;
    const f = alert.output_fields;
    if (this.dedup.keyFields.length > 0) {
      for (const name of this.dedup.keyFields) k += `\u0000${f[name] ?? ''}`;
    } else {
      for (const name in f) if (!VOLATILE_FIELD.test(name)) k += `\u0000${name}=${f[name]}`;
    }
    return k;
  }

  private write(rec: Record): void {
    writeSync(this.fd, `${encodeJson(rec)}\n`);
  }

  /** Empty state: truncate. A journal grown large under a long flood: rewrite it with the live state only. */
  private compact(): void {
    if (this.windows.size === 0 && this.suppressed.size === 0) {
      ftruncateSync(this.fd, 0);
      return;
    }
    if (fstatSync(this.fd).size < COMPACT_BYTES) return;
    const tmp = `${this.journalPath}.tmp`;
    writeFileSync(tmp, this.snapshot());
    renameSync(tmp, this.journalPath);
    closeSync(this.fd);
    this.fd = openSync(this.journalPath, 'a');
  }

  private snapshot(): string {
    let out = '';
    for (const [key, w] of this.windows) out += `${encodeJson({ o: key, a: w.alert, d: w.deadline, n: w.count })}\n`;
    for (const [rule, s] of this.suppressed) out += `${encodeJson({ S: rule, a: s.alert, n: s.count, w: s.worst })}\n`;
    return out;
  }

  private replay(): void {
    if (!existsSync(this.journalPath)) return;
    for (const line of readFileSync(this.journalPath, 'utf8').split('\n')) {
      if (!line) continue;
      let rec: Record;
      try {
        rec = decodeJson(line) as Record;
      } catch {
        continue; // a torn last line after a crash: the counts before it stand
      }
      if ('o' in rec) this.windows.set(rec.o, { alert: rec.a, count: rec.n, deadline: rec.d });
      else if ('i' in rec) { const w = this.windows.get(rec.i); if (w) w.count++; }
      else if ('c' in rec) this.windows.delete(rec.c);
      else if ('S' in rec) this.suppressed.set(rec.S, { alert: rec.a, count: rec.n, worst: rec.w });
      else if ('s' in rec) { const s = this.suppressed.get(rec.s); if (s) { s.count++; s.worst = worse(s.worst, rec.w); } }
      else if ('r' in rec) this.suppressed.delete(rec.r);
    }
    writeFileSync(this.journalPath, this.snapshot());
  }
}

function worse(a: string, b: string): string {
  const pa = parsePriority(a);
  const pb = parsePriority(b);
  if (pa === undefined || pb === undefined) return pa === undefined ? a : b;
  return priorityLevel(pb) < priorityLevel(pa) ? b : a;
}

function summaryAlert(s: Suppressed, rate: RateLimitConfig, now: number): Alert {
  const a = s.alert;
  return {
    ...a,
    uuid: randomUUID(),
    time: new Date(now).toISOString(),
    priority: s.worst,
    output: `${s.count} alerts of rule "${a.rule}" were suppressed by the rate limit (${rate.perRule} per ${rate.intervalSeconds} s); first suppressed: ${a.output}`,
    output_fields: { ...a.output_fields, [SUPPRESSED_FIELD]: s.count },
  };
}
