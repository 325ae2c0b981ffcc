/**
 * Keeps a current Ruleset and replaces it atomically when the rules change: on SIGHUP and when a rules file
 * changes on disk (debounced, since editors write in several steps). A reload that fails keeps the running ruleset
 * and logs why; readers always see either the old or the new ruleset, never a mix.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { RulesFileError, RulesLoadError, formatDiagnostic } from '../errors.ts';
import { loadRules } from '../loader/load.ts';
import type { RulesConfig } from './config.ts';
import type { Ruleset } from './ruleset.ts';

/** The names the kubelet's atomic writer renames when it updates a mounted ConfigMap or Secret. */
const KUBELET_SWAP = new Set(['..data', '..data_tmp']);

export interface ReloadLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface ReloaderOptions {
  files: readonly string[];
  config: RulesConfig;
  logger: ReloadLogger;
  /** Called after each successful reload (not the initial load), with the new ruleset already current. */
  onReload?: (ruleset: Ruleset) => void;
  /** Watch the files' directories for changes. Default true. */
  watchFiles?: boolean;
  /** Reload on SIGHUP. Default true. */
  sighup?: boolean;
  debounceMs?: number;
}

export class RulesReloader {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<boolean> | null = null;
  private again = false;
  private readonly onSighup = () => this.schedule('SIGHUP');

  private constructor(
    private ruleset: Ruleset,
    private readonly opts: ReloaderOptions,
  ) {}

  /** Loads the rules (throws RulesFileError or RulesLoadError if they do not load), then watches for changes. */
  static async start(opts: ReloaderOptions): Promise<RulesReloader> {
    const r = new RulesReloader(await loadRules(opts.files, opts.config), opts);
    if (opts.watchFiles !== false) r.watchDirectories();
    if (opts.sighup !== false) process.on('SIGHUP', r.onSighup);
    return r;
  }

  get current(): Ruleset {
    return this.ruleset;
  }

  /** Loads the files again; swaps the ruleset in only if they load. Concurrent calls run one after another. */
  async reload(reason: string): Promise<boolean> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.reloadOnce(reason);
    try {
      return await this.running;
    } finally {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.reload(reason);
      }
    }
  }

  close(): void {
    process.off('SIGHUP', this.onSighup);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private async reloadOnce(reason: string): Promise<boolean> {
    try {
      const next = await loadRules(this.opts.files, this.opts.config);
      this.ruleset = next;
      this.opts.logger.info('rules reloaded', { reason, rules: next.activeRules.length });
      this.opts.onReload?.(next);
      return true;
    } catch (e) {
      if (!(e instanceof RulesLoadError) && !(e instanceof RulesFileError)) throw e;
      const details = e instanceof RulesLoadError ? e.errors.map(formatDiagnostic) : [e.message];
      this.opts.logger.error('rules reload failed; keeping the running rules', { reason, errors: details });
      return false;
    }
  }

  private schedule(reason: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.reload(reason);
    }, this.opts.debounceMs ?? 200);
  }

  /**
   * Directories, not files: an editor's save-by-rename replaces the file and would end a watch on it. A rules
   * directory reacts to any *.yaml in it (files added or removed too); a file's directory only to that file.
   * A mounted ConfigMap changes by the kubelet swapping the `..data` symlink (via `..data_tmp`) that every file
   * links through, so the files' own names never show up: those two names count as a change of everything watched
   * in that directory.
   */
  private watchDirectories(): void {
    const byDir = new Map<string, Set<string> | 'any'>();
    for (const f of this.opts.files) {
      const full = resolve(f);
      if (isDirectory(full)) {
        byDir.set(full, 'any');
        continue;
      }
      const names = byDir.get(dirname(full)) ?? new Set<string>();
      if (names !== 'any') names.add(basename(full));
      byDir.set(dirname(full), names);
    }
    for (const [dir, names] of byDir) {
      const w = watch(dir, (_event, name) => {
        if (name === null) return;
        const n = name.toString();
        if (KUBELET_SWAP.has(n)) this.schedule(`configmap updated: ${dir}`);
        else if (names === 'any' ? n.endsWith('.yaml') || n.endsWith('.yml') : names.has(n)) this.schedule(`file changed: ${n}`);
      });
      w.on('error', (err) => this.opts.logger.error('rules watch failed', { dir, error: String(err) }));
      w.unref();
      this.watchers.push(w);
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
