/**
 * Host names written in conditions (`fd.sip.name = kubernetes.default.svc.cluster.local`), resolved forward as
 * libsinsp's DNS manager does: each name is looked up when a condition naming it compiles, then again on an
 * interval in the background. A check compares the fd's address with the name's current addresses, so the event
 * path never waits on DNS. A lookup that fails leaves the name with no addresses: it matches nothing.
 */
import { lookup } from 'node:dns/promises';
import { formatIp, parseIp } from './ip.ts';

/** All addresses of a name, as text; rejects when the name does not resolve. */
export type HostLookup = (name: string) => Promise<readonly string[]>;

export const systemLookup: HostLookup = async (name) => (await lookup(name, { all: true })).map((a) => a.address);

/** One watched name; `addresses` is replaced whole on each refresh, so a reader sees one consistent set. */
export interface HostAddresses {
  readonly name: string;
  addresses: ReadonlySet<string>;
}

const NONE: ReadonlySet<string> = new Set();

/** libsinsp refreshes its DNS cache entries on a similar period. */
export const DEFAULT_REFRESH_MS = 60_000;

export class HostResolver {
  private readonly hosts = new Map<string, HostAddresses>();
  private readonly pending = new Set<Promise<void>>();
  /** per name, the latest lookup started: an older one finishing later must not overwrite its answer */
  private readonly latest = new Map<HostAddresses, number>();
  private lookups = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private lookupAll: HostLookup = systemLookup,
    private readonly refreshMs = DEFAULT_REFRESH_MS,
  ) {}

  /** The entry for `name`, resolving it now in the background if it is new. */
  watch(name: string): HostAddresses {
    const key = name.toLowerCase();
    let host = this.hosts.get(key);
    if (!host) {
      host = { name: key, addresses: NONE };
      this.hosts.set(key, host);
      this.resolve(host);
      this.startTimer();
    }
    return host;
  }

  /** Resolves every watched name again; resolves when all lookups have settled (never rejects). */
  async refresh(): Promise<void> {
    for (const host of this.hosts.values()) this.resolve(host);
    await this.settled();
  }

  /** Waits for the lookups in flight. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending);
  }

  /** Swaps the lookup (a test's, or a different resolver) and resolves every name with it. */
  async useLookup(lookupAll: HostLookup): Promise<void> {
    this.lookupAll = lookupAll;
    await this.refresh();
  }

  /** The first watched name that currently resolves to `ip` (canonical text), as libsinsp's reverse cache answers. */
  nameOf(ip: string): string | null {
    for (const host of this.hosts.values()) if (host.addresses.has(ip)) return host.name;
    return null;
  }

  /** Stops the background refresh; watched names keep their last addresses. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private startTimer(): void {
    if (this.timer || this.refreshMs <= 0) return;
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    // a process with rules loaded must still be free to exit
    this.timer.unref();
  }

  private resolve(host: HostAddresses): void {
    const seq = ++this.lookups;
    this.latest.set(host, seq);
    const lookupAll = this.lookupAll;
    // a lookup that throws instead of rejecting is a failed lookup too
    const done: Promise<void> = Promise.resolve()
      .then(() => lookupAll(host.name))
      .then((addresses) => {
        const set = new Set<string>();
        for (const a of addresses) {
          const ip = parseIp(a);
          if (ip) set.add(formatIp(ip));
        }
        return set;
      }, () => NONE)
      .then((set) => {
        if (this.latest.get(host) === seq) host.addresses = set;
      })
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }
}

/** The process-wide resolver conditions use unless their compile environment names another (libsinsp: one per process). */
export const hostResolver = new HostResolver();
