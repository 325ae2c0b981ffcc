/**
 * compose/compose.yaml runs what the Kubernetes manifests run: same services, commands, images, ports, env and
 * config, so a change to one that forgets the other fails here.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import { checkRules } from '@peregrine/rules';
import { parseEvaluationConfig } from '@peregrine/evaluation';
import { loadConfig, stageConfig } from '@peregrine/runtime';
import { parseDockerfile } from './dockerfile.ts';
import { Built, ROOT, build, envValue, type Container, type Workload } from './manifests.ts';

const COMPOSE_FILE = join(ROOT, 'compose/compose.yaml');
const COMPOSE_DIR = dirname(COMPOSE_FILE);

interface ComposeService {
  image: string;
  build?: { context: string; dockerfile: string; target: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  privileged?: boolean;
  pid?: string;
  healthcheck?: { test: string[] };
}

/** Compose's ${VAR:-default} / ${VAR} interpolation, with an empty environment (what a fresh checkout gets). */
function interpolate(text: string): string {
  return text.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g, (_m, _name: string, dflt: string | undefined) => dflt ?? '');
}

const compose = parse(interpolate(readFileSync(COMPOSE_FILE, 'utf8')), { merge: true }) as { services: Record<string, ComposeService> };
const k8s = new Built(build('overlays/dev'));

/** The Kubernetes container that runs each stage, keyed by stage name. */
function k8sStages(): Map<string, { pod: Workload['spec']['template']['spec']; c: Container }> {
  const out = new Map<string, { pod: Workload['spec']['template']['spec']; c: Container }>();
  for (const w of k8s.workloads()) {
    for (const c of w.spec.template.spec.containers) if (c.args?.[0] === 'run') out.set(c.args[1]!, { pod: w.spec.template.spec, c });
  }
  return out;
}

function containerPorts(s: ComposeService): number[] {
  return (s.ports ?? []).map((p) => Number(p.split(':').at(-1)));
}

/** host:container[:ro] bind mounts, host paths resolved against the compose file's directory. */
function mounts(s: ComposeService): Array<{ host: string; target: string; ro: boolean; bind: boolean }> {
  return (s.volumes ?? []).map((v) => {
    const [host, target, mode] = v.split(':');
    const bind = host!.startsWith('.') || isAbsolute(host!);
    return { host: bind && !isAbsolute(host!) ? join(COMPOSE_DIR, host!) : host!, target: target!, ro: mode === 'ro', bind };
  });
}

describe('compose/compose.yaml', () => {
  const stages = k8sStages();

  it('has NATS, Jaeger and the four stages', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['capture', 'enrichment', 'evaluation', 'jaeger', 'nats', 'output']);
  });

  it('runs each stage with the command, image, env and health port of its Kubernetes container', () => {
    const targets = new Set(parseDockerfile().map((s) => s.name));
    for (const [stage, { c }] of stages) {
      const s = compose.services[stage]!;
      assert.ok(s, `no compose service ${stage}`);
      assert.deepEqual(s.command, c.args, `${stage} command`);
      assert.equal(s.image, c.image, `${stage} image`);
      assert.equal(s.build?.dockerfile, 'services/Dockerfile');
      assert.ok(existsSync(join(COMPOSE_DIR, s.build!.context, s.build!.dockerfile)));
      assert.ok(targets.has(s.build!.target), `${stage} builds unknown target ${s.build!.target}`);
      const env = s.environment ?? {};
      for (const e of c.env ?? []) {
        assert.ok(e.name in env, `${stage}: compose lacks env ${e.name}`);
        if (e.valueFrom?.fieldRef || e.name === 'OTEL_RESOURCE_ATTRIBUTES') continue;
        // Same values, Secret ones included: compose's defaults are the dev overlay's generated credentials.
        assert.equal(env[e.name], envValue(k8s, e), `${stage}: env ${e.name}`);
      }
      const k8sPorts = (c.ports ?? []).map((p) => p.containerPort);
      assert.deepEqual(containerPorts(s), k8sPorts, `${stage} ports`);
      assert.ok(s.healthcheck!.test.join(' ').includes(`127.0.0.1:${k8sPorts[0]}/healthz`), `${stage} health check port`);
    }
  });

  it('gives NATS and Jaeger the ports of their Kubernetes Services, and NATS every variable its config reads', () => {
    const servicePorts = (name: string) => (k8s.get('Service', name) as unknown as { spec: { ports: Array<{ port: number }> } }).spec.ports.map((p) => p.port);
    assert.deepEqual(containerPorts(compose.services.jaeger!), servicePorts('jaeger'));
    const nats = compose.services.nats!;
    assert.deepEqual(containerPorts(nats), [...servicePorts('nats'), 8222]);
    const conf = mounts(nats).find((m) => m.target === '/etc/nats/nats.conf')!;
    const text = readFileSync(conf.host, 'utf8');
    assert.equal(text, k8s.dataOf('ConfigMap', 'nats-config', 'nats.conf'), 'compose mounts the dev NATS config');
    for (const [, name] of text.matchAll(/\$([A-Z_]+)/g)) assert.ok(name! in nats.environment!, `nats env ${name}`);
    assert.equal(nats.environment!.NATS_PASSWORD, compose.services.evaluation!.environment!.PEREGRINE_NATS__PASS);
  });

  it('mounts the same config file as the ConfigMap, and rules that load', () => {
    for (const [stage, { c }] of stages) {
      const configPath = c.args![c.args!.indexOf('--config') + 1];
      const m = mounts(compose.services[stage]!).find((x) => x.target === configPath);
      assert.ok(m?.ro, `${stage} mounts ${configPath} read-only`);
      assert.equal(readFileSync(m.host, 'utf8'), k8s.dataOf('ConfigMap', 'peregrine-config', 'config.yaml'));
    }
    for (const s of Object.values(compose.services)) for (const m of mounts(s)) if (m.bind) assert.ok(existsSync(m.host) || m.host.startsWith('/run/'), m.host);
    const evaluation = compose.services.evaluation!;
    const configFile = mounts(evaluation).find((m) => m.target === '/etc/peregrine/config.yaml')!.host;
    const cfg = loadConfig(configFile, evaluation.environment);
    const rules = parseEvaluationConfig(stageConfig(cfg, 'evaluation')).rules.map((f) => {
      const m = mounts(evaluation).find((x) => f.startsWith(`${x.target}/`));
      const path = m ? join(m.host, f.slice(m.target.length + 1)) : join(ROOT, f.replace(/^\/app\//, ''));
      return { name: f, content: readFileSync(path, 'utf8') };
    });
    const { ruleset, diagnostics } = checkRules(rules);
    assert.ok(ruleset, diagnostics.map((d) => d.message).join('\n'));
  });

  it('runs capture privileged in the host pid namespace with the host /proc and BTF read-only', () => {
    const capture = compose.services.capture!;
    assert.equal(capture.privileged, true);
    assert.equal(capture.pid, 'host');
    const host = new Map(mounts(capture).map((m) => [m.host, m]));
    assert.equal(host.get('/proc')?.ro, true);
    assert.equal(host.get('/sys/kernel/btf')?.ro, true);
    for (const [name, s] of Object.entries(compose.services)) if (name !== 'capture') assert.notEqual(s.privileged, true, name);
  });
});
