/**
 * A real nats-server for tests. `.ci/run` starts one and exports PEREGRINE_TEST_NATS_URL; `sharedNats()` uses it
 * when set and otherwise starts one for this process. Tests that stop, restart or reconfigure the server start
 * their own with `startNats()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsServer {
  url: string;
  port: number;
  /** Stops the server; its JetStream directory is kept until `dispose()` so a restart can resume it. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store directory. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
  /** Lets the test process exit while the server still runs (it is stopped on exit). */
  unref(): void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nats-server did not listen on 127.0.0.1:${port} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startNats(opts: { jetstream?: boolean; args?: string[] } = {}): Promise<NatsServer> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'peregrine-nats-'));
  let child: ChildProcess | undefined;
  const launch = async () => {
    const args = ['-a', '127.0.0.1', '-p', String(port), ...(opts.jetstream === false ? [] : ['-js', '-sd', storeDir]), ...(opts.args ?? [])];
    child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
    const exited = new Promise<never>((_, reject) =>
      child!.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${stderr}`))),
    );
    await Promise.race([waitForPort(port, 10_000), exited]);
    exited.catch(() => {});
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGTERM'); });
  };
  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop,
    restart: async () => { await stop(); await launch(); },
    dispose: async () => { await stop(); rmSync(storeDir, { recursive: true, force: true }); },
    unref: () => {
      child?.unref();
      (child?.stderr as { unref?: () => void } | null)?.unref?.();
    },
  };
}

let shared: Promise<{ url: string }> | undefined;

/** The suite's NATS server: the one .ci/run started, or one started for this test process. */
export function sharedNats(): Promise<{ url: string }> {
  const fromEnv = process.env.PEREGRINE_TEST_NATS_URL;
  if (fromEnv) return Promise.resolve({ url: fromEnv });
  shared ??= startNats().then((s) => {
    s.unref();
    process.once('exit', () => { void s.stop(); });
    return { url: s.url };
  });
  return shared;
}
