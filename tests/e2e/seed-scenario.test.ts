/**
 * The seed scenario, end to end, for real: four `npx peregrine run <stage>` processes on a real nats-server, real eBPF
 * capture, a runc container whose cgroup path is shaped like a Kubernetes pod's, and a terminal shell opened in it
 * with `runc exec -t` under a real pty (what `kubectl exec -ti` does on the node). Kubernetes itself is a stand-in
 * API server serving the Pod; Jaeger is a stand-in OTLP/HTTP receiver. The commands are the README quickstart's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import type { Alert } from '@peregrine/event';
import { ALERTS_ALL } from '@peregrine/bus';
import { startNats, type NatsServer } from '../support/nats.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp.ts';
import { KubeApiServerStandIn } from '../support/kube-apiserver-standin.ts';
import { namespace, pod } from '../support/kube-fixtures.ts';
import { runcUnavailable, startRuncContainer, type RuncContainer } from '../support/runc.ts';
import { startStageProcess, type StageProcess } from '../support/stage-process.ts';
import { UPSTREAM_STABLE_RULES } from '../support/shared.ts';

const NODE = 'seed-node';
const POD = 'nginx-7c5ddbdf54-2xk8q';
const CLUSTER = 'seed-cluster';
const STAGES = ['capture', 'enrichment', 'evaluation', 'output'] as const;

/** The README's four service commands (between its e2e:services markers): the test runs exactly those. */
function readmeServiceCommands(): Map<string, string[]> {
  const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const block = /<!-- e2e:services -->([\s\S]*?)<!-- \/e2e:services -->/.exec(readme)?.[1] ?? '';
  const commands = new Map<string, string[]>();
  for (const line of block.split('\n')) {
    const words = line.trim().replace(/\s*&$/, '').split(/\s+/);
    if (words[0] === 'npx' && words[1] === 'peregrine' && words[2] === 'run') commands.set(words[3]!, words.slice(2));
  }
  return commands;
}

const README_NATS = 'nats://127.0.0.1:4222';
const README_CONFIG = 'peregrine.yaml';

const skip = process.getuid?.() !== 0 ? 'needs root for eBPF and runc' : runcUnavailable() ?? false;

async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('seed scenario: shell in a pod and a write to /usr/local/bin, four services on NATS with real eBPF and runc (kube-apiserver and OTLP stand-ins)', { skip }, () => {
  let nats: NatsServer;
  let otlp: OtlpReceiver;
  let api: KubeApiServerStandIn;
  let container: RuncContainer;
  let nc: NatsConnection;
  let dir: string;
  let config: string;
  const services = new Map<string, StageProcess>();
  const alerts: Alert[] = [];

  const commands = readmeServiceCommands();
  const startService = async (stage: string, extra: string[] = []) => {
    const args = commands.get(stage);
    if (!args) throw new Error(`README has no 'npx peregrine run ${stage}' line between its e2e:services markers`);
    const here = args.map((a) => (a === README_NATS ? nats.url : a === README_CONFIG ? config : a));
    const p = startStageProcess([...here, ...extra], {
      NODE_NAME: NODE,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      PEREGRINE_HTTP__PORT: '0',
    }, 60_000);
    services.set(stage, p);
    await p.ready;
    return p;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peregrine-e2e-'));
    [nats, otlp, api] = await Promise.all([startNats(), startOtlpReceiver(), KubeApiServerStandIn.start()]);
    container = await startRuncContainer({ hostname: POD, files: { '/usr/local/bin/.keep': '' } });
    api.upsert('namespaces', namespace('default'));
    api.upsert('pods', pod({
      name: POD, namespace: 'default', node: NODE, uid: container.podUid, labels: { app: 'nginx', 'pod-template-hash': '7c5ddbdf54' },
      containerId: container.id, containerName: 'nginx', image: 'nginx',
    }));
    config = join(dir, 'peregrine.yaml');
    writeFileSync(config, [
      'stages:',
      '  enrichment:',
      `    cluster: ${CLUSTER}`,
      '    sources: [kube]',
      `    kube: { apiServer: "${api.url}", insecureSkipTlsVerify: true }`,
      '',
    ].join('\n'));

    nc = await connect({ servers: nats.url });
    const sub = nc.subscribe(ALERTS_ALL);
    void (async () => {
      for await (const m of sub) alerts.push(JSON.parse(new TextDecoder().decode(m.data)) as Alert);
    })();

    await Promise.all([
      startService('capture'),
      startService('enrichment'),
      startService('evaluation'),
      startService('output'),
    ]);
    const capture = services.get('capture')!;
    await until(() => capture.logs.some((l) => l.msg === 'capture: running'), 30_000, 'capture to attach its eBPF programs');
  });

  after(async () => {
    if (process.env.PEREGRINE_E2E_LOGS) {
      for (const [stage, p] of services) for (const l of p.logs) process.stderr.write(`[${stage}] ${JSON.stringify(l)}\n`);
      for (const a of alerts) process.stderr.write(`[alert] ${a.output}\n`);
    }
    await nc?.close().catch(() => undefined);
    await Promise.all([...services.values()].map((p) => p.terminate().catch(() => p.kill())));
    for (const p of services.values()) p.kill();
    await container?.cleanup();
    await api?.close();
    await otlp?.close();
    await nats?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const shortId = () => container.id.slice(0, 12);
  const fromContainer = () => alerts.filter((a) => a.output_fields['container.id'] === shortId());

  /** Opens a terminal shell in the pod and touches a file below /usr/local/bin, as the seed walkthrough does. */
  async function shellAndTouch(): Promise<void> {
    const r = await container.execTty(['sh'], ['touch /usr/local/bin/testfile']);
    assert.equal(r.code, 0, r.stdout);
  }

  function assertPodFields(a: Alert): void {
    const f = a.output_fields;
    assert.equal(f['k8s.ns.name'], 'default', a.output);
    assert.equal(f['k8s.pod.name'], POD, a.output);
    assert.equal(f['container.id'], shortId(), a.output);
    assert.equal(f['user.name'], 'root', a.output);
    if ('container.full_id' in f) assert.equal(f['container.full_id'], container.id);
  }

  function assertFalcoShape(a: Alert, priority: string): void {
    assert.equal(a.priority, priority);
    assert.equal(a.source, 'syscall');
    assert.equal(a.hostname, NODE);
    assert.match(a.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.match(a.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.ok(a.output.startsWith(`${a.time.slice(11, 29)}: ${priority} `), a.output);
    assert.ok(Array.isArray(a.tags) && a.tags.length > 0);
  }

  /** The trace of one alert: the output span carrying its uuid, walked up through its parents to the root. */
  function traceChain(uuid: string): ReceivedSpan[] {
    const leaf = otlp.spans.find((s) => s.attributes['peregrine.alert.uuid'] === uuid && s.service.includes('output'));
    if (!leaf) return [];
    const byId = new Map(otlp.spans.filter((s) => s.traceId === leaf.traceId).map((s) => [s.spanId, s]));
    const chain: ReceivedSpan[] = [];
    for (let s: ReceivedSpan | undefined = leaf; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) chain.unshift(s);
    return chain;
  }

  function stagesOf(chain: ReceivedSpan[]): string[] {
    const order: string[] = [];
    for (const s of chain) {
      const stage = STAGES.find((st) => s.service.includes(st));
      if (stage && order.at(-1) !== stage) order.push(stage);
    }
    return order;
  }

  it('our default rules: a Notice for the terminal shell and an Error for the write, with pod fields, each with one trace through all four services', async () => {
    await shellAndTouch();
    const shell = () => fromContainer().find((a) => a.rule === 'Interactive shell in container');
    const write = () => fromContainer().find((a) => a.rule === 'Write below monitored directory');
    await until(() => !!shell() && !!write(), 30_000, 'both alerts on falco.>');

    const s = shell()!;
    assertFalcoShape(s, 'Notice');
    assertPodFields(s);
    assert.equal(s.output_fields['proc.name'], 'sh');
    assert.notEqual(s.output_fields['proc.tty'], 0);
    assert.equal(typeof s.output_fields['proc.tty'], 'number');

    const w = write()!;
    assertFalcoShape(w, 'Error');
    assertPodFields(w);
    assert.equal(w.output_fields['fd.name'], '/usr/local/bin/testfile');

    // Nothing else from this container: give stragglers time to arrive, then count.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(fromContainer().map((a) => a.rule).sort(), ['Interactive shell in container', 'Write below monitored directory']);

    for (const a of [s, w]) {
      await otlp.waitFor(() => stagesOf(traceChain(a.uuid)).length === 4, 30_000);
      const chain = traceChain(a.uuid);
      assert.deepEqual(stagesOf(chain), [...STAGES], `trace of ${a.rule}: ${chain.map((c) => `${c.service}:${c.name}`).join(' → ')}`);
      assert.equal(new Set(chain.map((c) => c.traceId)).size, 1);
      assert.equal(new Set(chain.map((c) => c.pid)).size >= 4, true, 'spans come from four processes');
    }
  });

  it("upstream falco_rules.yaml instead of ours: 'Terminal shell in container' fires with the same fields", async () => {
    await services.get('evaluation')!.terminate();
    services.delete('evaluation');
    await startService('evaluation', ['--rules', UPSTREAM_STABLE_RULES]);
    const before = alerts.length;
    await shellAndTouch();
    const terminal = () => alerts.slice(before).find((a) => a.rule === 'Terminal shell in container' && a.output_fields['container.id'] === shortId());
    await until(() => !!terminal(), 30_000, "'Terminal shell in container' on falco.>");
    const t = terminal()!;
    assertFalcoShape(t, 'Notice');
    assertPodFields(t);
    assert.equal(t.output_fields['proc.name'], 'sh');
    assert.notEqual(t.output_fields['proc.tty'], 0);
  });
});
