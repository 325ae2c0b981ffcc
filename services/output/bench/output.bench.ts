/**
 * Alerts/s through the output stage to a file and to a webhook on loopback, each against a baseline measured in the
 * same run: a raw append of the alert's JSON line to a file, and a raw keep-alive HTTP POST loop to the same local
 * server. Alerts are handled with the host's default concurrency (4 in flight), as `peregrine run output` does.
 * Baseline and stage take turns in short slices. Prints alerts/s, the ratio to the baseline, per-alert latency
 * percentiles and RSS.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { MemoryBus } from '@peregrine/bus';
import type { Alert } from '@peregrine/event';
import { HostMetrics, type AlertStage, type HandlerContext, type Logger } from '@peregrine/runtime';
import createStage from '../src/index.ts';

const RUN_MS = Number(process.env.BENCH_MS ?? 2000);
const CONCURRENCY = 4;
const ROUNDS = 4;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const ctx: HandlerContext = { span: trace.getTracer('bench').startSpan('bench'), emitBatch() {}, emitAlert() {} };

let n = 0;
function alert(): Alert {
  n++;
  return {
    uuid: `6f1c0d2e-0000-4000-8000-${String(n).padStart(12, '0')}`,
    time: '2026-11-28T10:36:52.123456789Z',
    rule: 'Terminal shell in container',
    priority: 'Notice',
    source: 'syscall',
    hostname: 'node-a',
    output: `A shell was spawned in a container with an attached terminal (evt_type=execve user=root user_uid=0 process=sh proc_exepath=/bin/busybox parent=runc command=sh -i terminal=34816 exe_flags=EXE_WRITABLE container_id=0a1b2c3d4e5f container_name=web)`,
    tags: ['container', 'shell', 'mitre_execution', 'T1059'],
    output_fields: {
      'evt.time': 1795862212123456789 + n, 'evt.type': 'execve', 'user.name': 'root', 'user.uid': 0, 'proc.name': 'sh', 'proc.pid': 4242,
      'proc.exepath': '/bin/busybox', 'proc.pname': 'runc', 'proc.cmdline': 'sh -i', 'container.id': '0a1b2c3d4e5f', 'container.name': 'web',
      'k8s.ns.name': 'prod', 'k8s.pod.name': 'web-7d9f8c6b5-x2x4q', 'container.image.repository': 'docker.io/library/nginx',
    },
  };
}

interface Result { name: string; alertsPerSec: number; p50: number; p99: number; p999: number }
interface Case { name: string; one: (a: Alert) => Promise<void>; done: number; ms: number; lat: number[] }

/** One slice of `ms` with CONCURRENCY calls in flight; per-call latency in ms. */
async function slice(c: Case, ms: number): Promise<void> {
  const start = performance.now();
  const worker = async () => {
    while (performance.now() - start < ms) {
      const a = alert();
      const t0 = performance.now();
      await c.one(a);
      c.lat.push(performance.now() - t0);
      c.done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  c.ms += performance.now() - start;
}

/** Baseline and candidate take turns in short slices, so load from elsewhere on the machine hits both alike. */
async function compare(cases: Array<Pick<Case, 'name' | 'one'>>): Promise<Result[]> {
  const all: Case[] = cases.map((c) => ({ ...c, done: 0, ms: 0, lat: [] }));
  for (const c of all) for (let i = 0; i < 500; i++) await c.one(alert()); // warm-up
  globalThis.gc?.();
  for (let r = 0; r < ROUNDS; r++) for (const c of all) await slice(c, RUN_MS / ROUNDS);
  return all.map((c) => {
    const lat = c.lat.sort((x, y) => x - y);
    const pct = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!;
    return { name: c.name, alertsPerSec: c.done / (c.ms / 1000), p50: pct(0.5), p99: pct(0.99), p999: pct(0.999) };
  });
}

async function stageWith(dir: string, destination: Record<string, unknown>): Promise<AlertStage> {
  const stage = createStage() as AlertStage;
  await stage.init!({ node: 'bench', logger: quiet, control: new MemoryBus().control, metrics: new HostMetrics().forStage(),
    config: { stateDir: join(dir, `state-${destination.name}`), destinations: [destination] } });
  return stage;
}

const dir = mkdtempSync(join(tmpdir(), 'peregrine-output-bench-'));
const server = http.createServer({ noDelay: true }, (req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end()); });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/falco`;

try {
  const rawFd = openSync(join(dir, 'raw.jsonl'), 'a');
  const fileStage = await stageWith(dir, { name: 'file', type: 'file', path: join(dir, 'stage.jsonl'), format: 'json' });
  const [rawFile, stageFile] = await compare([
    { name: 'raw fs append (baseline)', one: async (a) => { writeSync(rawFd, `${JSON.stringify(a)}\n`); } },
    { name: 'output stage → file', one: (a) => fileStage.handle(a, ctx) as Promise<void> },
  ]);
  closeSync(rawFd);
  await fileStage.close!();

  const agent = new http.Agent({ keepAlive: true });
  const hookStage = await stageWith(dir, { name: 'webhook', type: 'webhook', url });
  const [rawHttp, stageHook] = await compare([
    { name: 'raw http POST (baseline)', one: (a) => new Promise<void>((resolve, reject) => {
      const body = JSON.stringify(a);
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end(body);
    }) },
    { name: 'output stage → webhook', one: (a) => hookStage.handle(a, ctx) as Promise<void> },
  ]);
  agent.destroy();
  await hookStage.close!();

  const rows: Array<[Result, Result]> = [[rawFile, rawFile], [stageFile, rawFile], [rawHttp, rawHttp], [stageHook, rawHttp]];
  console.log(`alerts of ${JSON.stringify(alert()).length} bytes JSON, ${CONCURRENCY} in flight, ${RUN_MS} ms each`);
  console.log('case                          alerts/s   vs baseline   p50 ms   p99 ms  p99.9 ms');
  for (const [r, base] of rows) {
    console.log(`${r.name.padEnd(28)} ${r.alertsPerSec.toFixed(0).padStart(9)}   ${(r.alertsPerSec / base.alertsPerSec).toFixed(2).padStart(10)}x ${r.p50.toFixed(3).padStart(8)} ${r.p99.toFixed(3).padStart(8)} ${r.p999.toFixed(3).padStart(9)}`);
  }
  console.log(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
} finally {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
