/**
 * A `npx peregrine run …` process for system tests: collects its stderr log lines, knows when it is ready and which
 * HTTP port it took, and is signalled as a process group (npx and the shell it uses would otherwise stand between
 * the test and the host).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..', '..');

export interface StageProcess {
  child: ChildProcess;
  /** Parsed JSON log lines from stderr (non-JSON lines as { raw }). */
  logs: Array<Record<string, unknown>>;
  stdout: string[];
  ready: Promise<void>;
  exited: Promise<number | null>;
  httpPort(): number | undefined;
  /** SIGTERM to the host itself (its pid is in the `ready` line) and the exit code npx passes on. */
  terminate(): Promise<number | null>;
  /** SIGKILL if still running (cleanup). */
  kill(): void;
}

export function startStageProcess(args: string[], env: Record<string, string> = {}, readyTimeoutMs = 30_000): StageProcess {
  const child = spawn('npx', ['peregrine', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const logs: Array<Record<string, unknown>> = [];
  const stdout: string[] = [];
  let onReady!: () => void;
  let onFail!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => { onReady = res; onFail = rej; });
  let errTail = '';
  let buf = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    errTail = (errTail + d).slice(-3000);
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let rec: Record<string, unknown>;
      try { rec = JSON.parse(line) as Record<string, unknown>; } catch { rec = { raw: line }; }
      logs.push(rec);
      if (line.includes('ready')) onReady();
    }
  });
  let outBuf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    outBuf += d;
    let nl: number;
    while ((nl = outBuf.indexOf('\n')) >= 0) { stdout.push(outBuf.slice(0, nl)); outBuf = outBuf.slice(nl + 1); }
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  void exited.then((code) => onFail(new Error(`peregrine ${args.join(' ')} exited (${code}) before ready: ${errTail}`)));
  const timer = setTimeout(() => onFail(new Error(`peregrine ${args.join(' ')} not ready within ${readyTimeoutMs} ms: ${errTail}`)), readyTimeoutMs);
  void ready.then(() => clearTimeout(timer), () => clearTimeout(timer));
  const signal = (sig: NodeJS.Signals) => { try { process.kill(-child.pid!, sig); } catch { /* already gone */ } };
  return {
    child, logs, stdout, ready, exited,
    httpPort: () => logs.find((l) => l.msg === 'http listening')?.port as number | undefined,
    terminate: async () => {
      const pid = logs.find((l) => l.msg === 'ready')?.pid;
      if (child.exitCode === null && child.signalCode === null) {
        if (typeof pid === 'number') process.kill(pid, 'SIGTERM'); else signal('SIGTERM');
      }
      return exited;
    },
    kill: () => { if (child.exitCode === null && child.signalCode === null) signal('SIGKILL'); },
  };
}
