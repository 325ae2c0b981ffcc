/**
 * The kernel side through the native addon: privilege check, then open → configure → load → attach → select →
 * drain, each failing with its own DriverError step.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ABI_VERSION } from './abi.ts';
import { DriverError, MissingPrivilegeError, type DriverStep } from './errors.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ADDON_PATH = join(ROOT, 'build/Release/capture_addon.node');
export const BPF_OBJECT_PATH = join(ROOT, 'build/capture.bpf.o');

interface NativeCapture {
  open(path: string): void;
  configure(cfg: { ringBytes: number; wakeupBytes: number; ownTgid: number; captureEnv: boolean; argsMax: number; envMax: number }): void;
  load(): void;
  attach(): void;
  setSelection(buf: Buffer): void;
  start(onBatch: (buf: Buffer) => void, opts: { batchBytes: number; pollMs: number }): void;
  stop(): void;
  stats(): { drops: number[] };
  close(): void;
}

interface Addon {
  Capture: new () => NativeCapture;
  killIfStartMatches(pid: number, startTicks: number, signal: number): 'killed' | 'gone' | 'reused';
  abiVersion: number;
}

const EAGAIN = 11;
const EINTR = 4;
const CAP_PERFMON = 38;
const CAP_BPF = 39;
const CAP_SYS_ADMIN = 21;

/** What is missing to load eBPF, empty when nothing is. */
export function missingPrivileges(): string[] {
  const status = readFileSync('/proc/self/status', 'utf8');
  const eff = BigInt(`0x${status.match(/^CapEff:\s*([0-9a-f]+)/m)?.[1] ?? '0'}`);
  const has = (cap: number) => (eff & (1n << BigInt(cap))) !== 0n;
  if (has(CAP_SYS_ADMIN)) return [];
  const missing: string[] = [];
  if (!has(CAP_BPF)) missing.push('CAP_BPF');
  if (!has(CAP_PERFMON)) missing.push('CAP_PERFMON');
  return missing;
}

let addon: Addon | null = null;
export function loadAddon(): Addon {
  if (addon) return addon;
  if (!existsSync(ADDON_PATH) || !existsSync(BPF_OBJECT_PATH)) {
    throw new DriverError('addon', 0, `${ADDON_PATH} or ${BPF_OBJECT_PATH} is missing: run \`npm run build:native\``);
  }
  addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  if (addon.abiVersion !== ABI_VERSION) throw new DriverError('addon', 0, `addon ABI ${addon.abiVersion}, decoder ABI ${ABI_VERSION}: rebuild`);
  return addon;
}

export interface DriverOptions {
  /** ring buffer bytes, a power of two multiple of the page size */
  ringBytes: number;
  /** force a wakeup once this many bytes wait */
  wakeupBytes: number;
  captureEnv: boolean;
  argsMax: number;
  envMax: number;
  /** batch cap in bytes handed to JS at once */
  batchBytes: number;
  /** timed drain interval */
  pollMs: number;
}

export const DEFAULT_DRIVER_OPTIONS: DriverOptions = {
  ringBytes: 16 << 20, wakeupBytes: 1 << 20, captureEnv: false, argsMax: 4095, envMax: 4095, batchBytes: 1 << 20, pollMs: 20,
};

function step<T>(name: DriverStep, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DriverError) throw err;
    const e = err as { errno?: number; message?: string };
    throw new DriverError(name, e.errno ?? 0, e.message ?? String(err), { cause: err });
  }
}

export class Driver {
  private readonly native!: NativeCapture;

  /** Loads and attaches the program; nothing is emitted until `select` and `start`. */
  constructor(opts: DriverOptions) {
    const missing = missingPrivileges();
    if (missing.length > 0) throw new MissingPrivilegeError(missing);
    const a = loadAddon();
    // The verifier gives up with EAGAIN when a signal arrives mid-check (SIGCHLD, a profiler's SIGPROF): a failed
    // load cannot be retried on the same libbpf object, so start again from open.
    for (let attempt = 1; ; attempt++) {
      const native = new a.Capture();
      try {
        step('open', () => native.open(BPF_OBJECT_PATH));
        step('configure', () => native.configure({
          ringBytes: opts.ringBytes, wakeupBytes: opts.wakeupBytes, ownTgid: process.pid, captureEnv: opts.captureEnv,
          argsMax: opts.argsMax, envMax: opts.envMax,
        }));
        step('load', () => native.load());
        step('attach', () => native.attach());
        this.native = native;
        break;
      } catch (err) {
        native.close();
        const retryable = err instanceof DriverError && err.step === 'load' && (err.errno === EAGAIN || err.errno === EINTR);
        if (!retryable || attempt >= 5) throw err;
      }
    }
    this.opts = opts;
  }

  private readonly opts: DriverOptions;

  select(buffer: Buffer): void {
    step('select', () => this.native.setSelection(buffer));
  }

  start(onBatch: (buf: Buffer) => void): void {
    step('drain', () => this.native.start(onBatch, { batchBytes: this.opts.batchBytes, pollMs: this.opts.pollMs }));
  }

  /** Records the kernel could not fit in the ring, per CPU. */
  drops(): number[] {
    return this.native.stats().drops;
  }

  close(): void {
    this.native.close();
  }
}

/** Signals `pid` only if it still started at `startTicks` (/proc/<pid>/stat field 22): a reused pid is never hit. */
export function killIfStartMatches(pid: number, startTicks: number, signal = 9): 'killed' | 'gone' | 'reused' {
  return loadAddon().killIfStartMatches(pid, startTicks, signal);
}
