/** JSON-lines logs on stderr (stdout is for alerts in `run --all`), and a per-key rate limit for bad-input logs. */
import type { Logger } from './stage.ts';

export const LOG_LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LOG_LEVELS;

export interface LogSink {
  write(line: string): void;
}

const stderrSink: LogSink = { write: (line) => { process.stderr.write(line); } };

export function createLogger(opts: { level?: string; fields?: Record<string, unknown>; sink?: LogSink } = {}): Logger & { child(fields: Record<string, unknown>): Logger } {
  const min = LOG_LEVELS[(opts.level as LogLevel) ?? 'info'] ?? LOG_LEVELS.info;
  const sink = opts.sink ?? stderrSink;
  const base = opts.fields ?? {};
  const make = (bound: Record<string, unknown>) => {
    const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
      if (LOG_LEVELS[level] < min) return;
      sink.write(JSON.stringify({ time: new Date().toISOString(), level, ...bound, msg, ...fields }, jsonSafe) + '\n');
    };
    return {
      debug: (m: string, f?: Record<string, unknown>) => emit('debug', m, f),
      info: (m: string, f?: Record<string, unknown>) => emit('info', m, f),
      warn: (m: string, f?: Record<string, unknown>) => emit('warn', m, f),
      error: (m: string, f?: Record<string, unknown>) => emit('error', m, f),
      child: (more: Record<string, unknown>) => make({ ...bound, ...more }),
    };
  };
  return make(base);
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/** Says whether to log now for `key`, and how many were suppressed since the last time. */
export class LogRateLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  check(key: string): { log: boolean; suppressed: number } {
    const t = this.now();
    const e = this.last.get(key);
    if (!e || t - e.at >= this.intervalMs) {
      const suppressed = e?.suppressed ?? 0;
      this.last.set(key, { at: t, suppressed: 0 });
      return { log: true, suppressed };
    }
    e.suppressed++;
    return { log: false, suppressed: e.suppressed };
  }
}
