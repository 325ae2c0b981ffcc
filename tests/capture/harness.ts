/**
 * Runs a real capture in the test process and lets tests wait for events by what a rule would read. The test
 * process itself is never traced (capture skips its own pid), so every action is done by a child process.
 */
import { eventTypeByCode, NO_REF, type ArgValue, type EventBatch, type FdInfo, type ProcessInfo, type SyscallEvent, type ContainerInfo } from '@peregrine/event';
import { Capture } from '@peregrine/capture';

export interface Seen {
  type: string;
  dir: number;
  res: number;
  args: Record<string, ArgValue>;
  proc: ProcessInfo;
  /** proc.aname[N]: 0 is the process itself */
  aname: string[];
  fd: FdInfo | null;
  container: ContainerInfo | null;
  ev: SyscallEvent;
}

export function view(batch: EventBatch, ev: SyscallEvent): Seen {
  const type = eventTypeByCode(ev.type)!;
  const params = ev.dir === 1 ? type.exit : type.enter;
  const args: Record<string, ArgValue> = {};
  params.forEach((p, i) => { args[p.name] = ev.args[i]; });
  const proc = batch.procs[ev.proc];
  const aname: string[] = [];
  for (let i = ev.proc, n = 0; i !== NO_REF && n < 10; i = batch.procs[i].parent, n++) aname.push(batch.procs[i].name);
  return {
    type: type.name, dir: ev.dir, res: ev.res, args, proc, aname, fd: ev.fd === NO_REF ? null : batch.fds[ev.fd],
    container: proc.container === NO_REF ? null : batch.containers[proc.container], ev,
  };
}

export class Harness {
  readonly batches: EventBatch[] = [];
  readonly capture: Capture;

  /** `pollMs`: the timed drain's interval; a long one makes records reach JS after their process is gone. */
  constructor(eventTypes: string[], opts: { captureEnv?: boolean; pollMs?: number } = {}) {
    this.capture = new Capture(
      { node: 'test-node', batch: { maxDelayMs: 20 }, driver: { captureEnv: opts.captureEnv ?? false, pollMs: opts.pollMs ?? 20 } },
      async (b) => { this.batches.push(b); },
    );
    this.capture.start(eventTypes);
  }

  /** Every event seen so far that matches. */
  all(pred: (s: Seen) => boolean): Seen[] {
    const out: Seen[] = [];
    this.scan(0, pred, out, Infinity);
    return out;
  }

  /**
   * Waits (up to `ms`) for an event that matches. Each poll looks only at batches that arrived since the last one:
   * on a busy machine the whole node's events stream in, and rescanning them all every poll fell behind.
   */
  async find(pred: (s: Seen) => boolean, ms = 4000): Promise<Seen> {
    const until = Date.now() + ms;
    let from = 0;
    const out: Seen[] = [];
    for (;;) {
      from = this.scan(from, pred, out, 1);
      if (out.length > 0) return out[0];
      if (Date.now() > until) throw new Error('no matching event captured');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Matches from batch `from` on, stopping after `max`; returns the first batch index not fully scanned. */
  private scan(from: number, pred: (s: Seen) => boolean, out: Seen[], max: number): number {
    let i = from;
    for (; i < this.batches.length; i++) {
      const b = this.batches[i];
      for (const ev of b.events) {
        const s = view(b, ev);
        if (pred(s)) out.push(s);
        if (out.length >= max) return i;
      }
    }
    return i;
  }

  stop(): void {
    this.capture.stop();
  }
}
