/**
 * Static checks of the Kubernetes manifests: each overlay's kustomize build validates against the Kubernetes
 * schemas, RBAC is least-privilege, containers have resources and probes, every reference resolves, and each
 * Peregrine container's command, config file and rules load with the real parsers.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_STAGES, loadConfig, stageConfig, type LoadedConfig } from '@peregrine/runtime';
import { checkRules } from '@peregrine/rules';
import { parseEvaluationConfig } from '@peregrine/evaluation';
import { parseConfig as parseEnrichmentConfig } from '@peregrine/enrichment';
import { loadResponseRules, parseOutputConfig } from '@peregrine/output';
import {
  Built, K8S, ROOT, build, buildWithComponents, envValue,
  type Container, type K8sObject, type PodSpec, type Workload,
} from './manifests.ts';

/** Secrets the prod overlay expects the operator to create (k8s/README.md says how), with their keys. */
const EXTERNAL_SECRETS: Record<string, Record<string, string[]>> = {
  prod: { 'peregrine-nats': ['user', 'password'] },
};
const FIELD_PATHS = new Set(['metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.serviceAccountName', 'status.podIP', 'status.hostIP']);
const CLI = ['node', 'libs/cli/bin/peregrine.mjs'];
const EBPF_CAPS = ['BPF', 'PERFMON', 'SYS_PTRACE', 'SYS_RESOURCE'];

const variants = {
  dev: new Built(build('overlays/dev')),
  prod: new Built(build('overlays/prod')),
  'dev+responses': new Built(buildWithComponents('overlays/dev', ['components/responses'])),
} as const;
type Variant = keyof typeof variants;

const scratch = mkdtempSync(join(tmpdir(), 'peregrine-deploy-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function isPeregrine(c: Container): boolean {
  return c.command?.join(' ') === CLI.join(' ');
}

function podsOf(b: Built): Array<{ w: Workload; pod: PodSpec }> {
  return b.workloads().map((w) => ({ w, pod: w.spec.template.spec }));
}

/** The runtime's view of a Peregrine container: its config file and env, read with the runtime's own loader. */
function runtimeConfig(b: Built, pod: PodSpec, c: Container): { cfg: LoadedConfig; env: Record<string, string> } {
  const args = c.args ?? [];
  const configPath = args[args.indexOf('--config') + 1]!;
  const text = b.fileIn(pod, c, configPath);
  assert.ok(text, `${c.name}: ${configPath} is not provided by any mount`);
  const file = join(scratch, `${c.name}-config.yaml`);
  writeFileSync(file, text);
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) env[e.name] = envValue(b, e) ?? (e.valueFrom?.fieldRef ? `<${e.valueFrom.fieldRef.fieldPath}>` : '<external>');
  return { cfg: loadConfig(file, env), env };
}

async function validateSchema(o: K8sObject): Promise<void> {
  const mod = (await import(`kubernetes-models/${o.apiVersion}/${o.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = mod[o.kind];
  assert.ok(Model, `kubernetes-models has no ${o.apiVersion} ${o.kind}`);
  try {
    new Model(o).validate();
  } catch (e) {
    assert.fail(`${o.kind} ${o.metadata.name}: ${(e as Error).message}`);
  }
}

for (const [variant, b] of Object.entries(variants) as Array<[Variant, Built]>) {
  describe(`k8s ${variant}`, () => {
    it('validates every object against the Kubernetes schemas (kubernetes-models)', async () => {
      assert.ok(b.objects.length > 20, `only ${b.objects.length} objects`);
      for (const o of b.objects) await validateSchema(o);
    });

    it('puts everything namespaced in the peregrine namespace', () => {
      b.get('Namespace', 'peregrine');
      const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
      for (const o of b.objects) {
        if (!clusterScoped.has(o.kind)) assert.equal(o.metadata.namespace, 'peregrine', `${o.kind} ${o.metadata.name}`);
      }
    });

    it('has RBAC without wildcards, read-only for enrichment, writes only with responses', () => {
      type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] };
      const roles = [...b.all<K8sObject & { rules: Rule[] }>('ClusterRole'), ...b.all<K8sObject & { rules: Rule[] }>('Role')];
      for (const role of roles) {
        for (const r of role.rules) {
          for (const list of [r.apiGroups, r.resources, r.verbs, r.resourceNames, r.nonResourceURLs]) {
            assert.ok(!(list ?? []).some((x) => x.includes('*')), `${role.metadata.name} has a wildcard: ${JSON.stringify(r)}`);
          }
        }
      }
      const agent = b.get<K8sObject & { rules: Rule[] }>('ClusterRole', 'peregrine-node-agent');
      assert.deepEqual(agent.rules.map((r) => `${r.apiGroups!.join()}/${r.resources!.join()}:${r.verbs.join()}`), [
        '/pods,namespaces:get,list,watch', 'apps/replicasets:get,list,watch', 'batch/jobs:get,list,watch',
      ]);
      const writes = roles.flatMap((role) => role.rules.filter((r) => r.verbs.some((v) => !['get', 'list', 'watch'].includes(v))).map((r) => ({ role: role.metadata.name, r })));
      const output = podsOf(b).find(({ w }) => w.metadata.name === 'peregrine-output')!.pod;
      if (variant === 'dev+responses') {
        assert.deepEqual(writes.map(({ role, r }) => `${role} ${r.resources!.join()}:${r.verbs.join()}`), [
          'peregrine-output-responses pods:get,delete,patch', 'peregrine-output-responses networkpolicies:create',
        ]);
        assert.equal(output.automountServiceAccountToken, true);
      } else {
        assert.deepEqual(writes, []);
        assert.equal(output.automountServiceAccountToken, false);
      }
      for (const binding of [...b.all<K8sObject & { roleRef: { kind: string; name: string }; subjects: Array<{ kind: string; name: string }> }>('ClusterRoleBinding'), ...b.all<K8sObject & { roleRef: { kind: string; name: string }; subjects: Array<{ kind: string; name: string }> }>('RoleBinding')]) {
        b.get(binding.roleRef.kind, binding.roleRef.name);
        for (const s of binding.subjects) b.get(s.kind, s.name);
      }
    });

    it('gives every workload its own ServiceAccount and every container requests, limits and probes', () => {
      const accounts = new Set<string>();
      for (const { w, pod } of podsOf(b)) {
        assert.ok(pod.serviceAccountName, `${w.metadata.name} runs as the default ServiceAccount`);
        b.get('ServiceAccount', pod.serviceAccountName);
        assert.ok(!accounts.has(pod.serviceAccountName), `${pod.serviceAccountName} shared`);
        accounts.add(pod.serviceAccountName);
        for (const c of pod.containers) {
          const where = `${w.metadata.name}/${c.name}`;
          for (const k of ['requests', 'limits'] as const) {
            assert.ok(c.resources?.[k]?.cpu && c.resources[k].memory, `${where} lacks ${k}`);
          }
          if (!c.ports?.length) continue;
          for (const probe of [c.readinessProbe, c.livenessProbe]) {
            assert.ok(probe?.httpGet, `${where} serves HTTP without an HTTP probe`);
            const port = probe.httpGet.port;
            assert.ok(c.ports.some((p) => p.name === port || p.containerPort === port), `${where} probes port ${port} it does not declare`);
          }
        }
      }
    });

    it('resolves every env var, volume and selector to something in the build', () => {
      const external = EXTERNAL_SECRETS[variant] ?? {};
      for (const { w, pod } of podsOf(b)) {
        for (const c of pod.containers) {
          const where = `${w.metadata.name}/${c.name}`;
          for (const e of c.env ?? []) {
            const from = e.valueFrom;
            if (from?.secretKeyRef) {
              const { name, key } = from.secretKeyRef;
              const ok = b.dataOf('Secret', name, key) !== undefined || external[name]?.includes(key);
              assert.ok(ok, `${where} env ${e.name}: no Secret ${name} key ${key}`);
            } else if (from?.configMapKeyRef) {
              const { name, key } = from.configMapKeyRef;
              assert.ok(b.dataOf('ConfigMap', name, key) !== undefined, `${where} env ${e.name}: no ConfigMap ${name} key ${key}`);
            } else if (from?.fieldRef) {
              assert.ok(FIELD_PATHS.has(from.fieldRef.fieldPath), `${where} env ${e.name}: fieldPath ${from.fieldRef.fieldPath}`);
            } else {
              assert.equal(typeof e.value, 'string', `${where} env ${e.name} has neither value nor valueFrom`);
            }
            const value = envValue(b, e);
            if (value && /^(nats|https?|grpc):\/\//.test(value)) {
              assert.ok(b.serviceFor(value), `${where} env ${e.name}=${value} names no Service with that port`);
            }
          }
          const claims = (w.spec.volumeClaimTemplates ?? []) as Array<{ metadata: { name: string } }>;
          for (const m of c.volumeMounts ?? []) {
            const known = pod.volumes?.some((v) => v.name === m.name) || claims.some((t) => t.metadata.name === m.name);
            assert.ok(known, `${where} mounts unknown volume ${m.name}`);
          }
        }
        for (const v of pod.volumes ?? []) {
          if (v.configMap) b.get('ConfigMap', v.configMap.name);
          if (v.secret) b.get('Secret', v.secret.secretName);
        }
      }
      const labelSets = podsOf(b).map(({ w }) => w.spec.template.metadata.labels);
      const matches = (sel: Record<string, string>) => labelSets.some((l) => Object.entries(sel).every(([k, v]) => l[k] === v));
      for (const o of [...b.all('PodDisruptionBudget'), ...b.all('NetworkPolicy')]) {
        const sel = (o as unknown as { spec: { selector?: { matchLabels: Record<string, string> }; podSelector?: { matchLabels: Record<string, string> } } }).spec;
        const labels = (sel.selector ?? sel.podSelector)!.matchLabels;
        assert.ok(matches(labels), `${o.kind} ${o.metadata.name} selects no pod: ${JSON.stringify(labels)}`);
      }
      for (const s of b.all<K8sObject & { spec: { selector: Record<string, string> } }>('Service')) {
        assert.ok(matches(s.spec.selector), `Service ${s.metadata.name} selects no pod`);
      }
      for (const hpa of b.all<K8sObject & { spec: { scaleTargetRef: { kind: string; name: string } } }>('HorizontalPodAutoscaler')) {
        b.get(hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name);
      }
    });

    it('runs the CLI in every Peregrine container, with a config, rules and responses that load', async () => {
      const stages = new Set<string>();
      for (const { w, pod } of podsOf(b)) {
        for (const c of pod.containers.filter(isPeregrine)) {
          assert.ok(existsSync(join(ROOT, CLI[1]!)), 'the CLI entry point exists');
          const [run, stage, flag] = c.args ?? [];
          assert.equal(run, 'run');
          assert.ok(stage && Object.hasOwn(BUILTIN_STAGES, stage), `${w.metadata.name}/${c.name} runs unknown stage ${stage}`);
          assert.equal(flag, '--config');
          stages.add(stage);
          const { cfg, env } = runtimeConfig(b, pod, c);
          assert.equal(cfg.node, '<spec.nodeName>', `${c.name}: node name from the downward API`);
          // The probe checks the port the runtime will actually serve /healthz on.
          const port = c.ports!.find((p) => p.name === c.readinessProbe!.httpGet!.port)!.containerPort;
          assert.equal(cfg.http.port, port, `${c.name}: probes ${port}, runtime serves ${cfg.http.port}`);
          assert.equal(c.readinessProbe!.httpGet!.path, '/healthz');
          assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://jaeger:4318');
          assert.ok(env.NATS_URL && env.PEREGRINE_NATS__USER && env.PEREGRINE_NATS__PASS, `${c.name}: NATS URL and credentials`);
          const own = stageConfig(cfg, stage);
          if (stage === 'evaluation') {
            const ec = parseEvaluationConfig(own);
            assert.ok(ec.watchRules);
            const texts = ec.rules.map((f) => ({ name: f, content: b.fileIn(pod, c, f) ?? assert.fail(`${f} is not provided`) }));
            const { ruleset, diagnostics } = checkRules(texts);
            assert.ok(ruleset, diagnostics.map((d) => d.message).join('\n'));
          } else if (stage === 'enrichment') {
            assert.deepEqual(parseEnrichmentConfig(own).sources, ['kube']);
          } else if (stage === 'output') {
            const oc = parseOutputConfig(own);
            assert.ok(c.volumeMounts!.some((m) => m.mountPath === oc.stateDir), 'output state dir is a volume');
            if (oc.responses.rulesFile) {
              const file = join(scratch, 'responses.yaml');
              writeFileSync(file, b.fileIn(pod, c, oc.responses.rulesFile) ?? assert.fail(`${oc.responses.rulesFile} not provided`));
              assert.ok(loadResponseRules(file).length > 0);
            }
            assert.equal(oc.responses.rulesFile !== undefined, variant === 'dev+responses');
          }
        }
      }
      assert.deepEqual([...stages].sort(), ['capture', 'enrichment', 'evaluation', 'output']);
    });

    it('runs capture with eBPF capabilities instead of privileged, on every node, reading the host read-only', () => {
      const agent = b.get<Workload>('DaemonSet', 'peregrine-node-agent').spec.template.spec;
      assert.equal(agent.hostPID, true);
      assert.ok(agent.tolerations?.some((t) => t.operator === 'Exists' && t.effect === 'NoSchedule'));
      const capture = agent.containers.find((c) => c.name === 'capture')!;
      assert.notEqual(capture.securityContext?.privileged, true);
      // Killing a process (a response) needs CAP_KILL, granted only with the responses component.
      const expected = variant === 'dev+responses' ? [...EBPF_CAPS, 'KILL'].sort() : EBPF_CAPS;
      assert.deepEqual([...capture.securityContext!.capabilities!.add!].sort(), expected);
      assert.deepEqual(capture.securityContext!.capabilities!.drop, ['ALL']);
      const hostMounts = new Map(agent.containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => {
        const v = agent.volumes!.find((x) => x.name === m.name)!;
        return [v.hostPath?.path ?? '', m] as const;
      })).filter(([p]) => p !== ''));
      for (const path of ['/sys/kernel/btf', '/proc', '/run/containerd/containerd.sock']) {
        assert.equal(hostMounts.get(path)?.readOnly, true, `${path} mounted read-only`);
      }
      for (const c of agent.containers) {
        assert.equal(c.env!.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath, 'spec.nodeName');
      }
      // Only enrichment talks to the API server, so only it gets the ServiceAccount token.
      assert.equal(agent.automountServiceAccountToken, false);
      const tokenHolders = agent.containers.filter((c) => c.volumeMounts?.some((m) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount'));
      assert.deepEqual(tokenHolders.map((c) => c.name), ['enrichment']);
      for (const { w, pod } of podsOf(b)) {
        for (const c of pod.containers) if (c !== capture) assert.ok(!c.securityContext?.capabilities?.add?.length, `${w.metadata.name}/${c.name} adds capabilities`);
      }
    });

    it('runs NATS with JetStream from a StatefulSet, reachable only by Peregrine pods', () => {
      const nats = b.get<Workload & { spec: { serviceName: string } }>('StatefulSet', 'nats');
      const headless = b.get<K8sObject & { spec: { clusterIP: string } }>('Service', nats.spec.serviceName);
      assert.equal(headless.spec.clusterIP, 'None');
      const conf = b.dataOf('ConfigMap', 'nats-config', 'nats.conf')!;
      assert.match(conf, /jetstream \{\s*store_dir: \/data/);
      assert.match(conf, /user: \$NATS_USER\s+password: \$NATS_PASSWORD/);
      const env = nats.spec.template.spec.containers[0]!.env!;
      assert.equal(env.find((e) => e.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef?.name, 'peregrine-nats');
      const data = nats.spec.template.spec.volumes!.find((v) => v.name === 'data');
      if (variant === 'prod') {
        assert.equal(nats.spec.replicas, 3);
        assert.equal(data, undefined);
        assert.equal(nats.spec.volumeClaimTemplates?.length, 1);
        const routes = [...conf.matchAll(/nats:\/\/(nats-\d)\.([a-z-]+):6222/g)];
        assert.deepEqual(routes.map((r) => `${r[1]}.${r[2]}`), [0, 1, 2].map((i) => `nats-${i}.${nats.spec.serviceName}`));
      } else {
        assert.equal(nats.spec.replicas, 1);
        assert.equal(nats.spec.volumeClaimTemplates, undefined);
        assert.ok(data?.emptyDir, 'dev NATS stores on an emptyDir');
      }
      type Policy = { spec: { ingress: Array<{ from?: Array<{ podSelector: { matchLabels?: Record<string, string> } }>; ports: Array<{ port: number }> }> } };
      const policy = b.get<K8sObject & Policy>('NetworkPolicy', 'nats');
      const client = policy.spec.ingress.find((r) => r.ports.some((p) => p.port === 4222))!;
      const allowed = client.from![0]!.podSelector.matchLabels!;
      assert.deepEqual(allowed, { 'peregrine.dev/nats-client': 'true' });
      // Every pod that talks to NATS carries the label; nothing else does.
      for (const { w, pod } of podsOf(b)) {
        const usesNats = pod.containers.some((c) => c.env?.some((e) => e.name === 'NATS_URL'));
        assert.equal(w.spec.template.metadata.labels['peregrine.dev/nats-client'] === 'true', usesNats, w.metadata.name);
      }
    });

    it('scales evaluation as the overlay says and exposes Jaeger on OTLP and UI ports', () => {
      const ports = b.get<K8sObject & { spec: { ports: Array<{ port: number }> } }>('Service', 'jaeger').spec.ports.map((p) => p.port);
      assert.deepEqual(ports, [4317, 4318, 16686]);
      const evaluation = b.get<Workload>('Deployment', 'peregrine-evaluation');
      const hpa = b.find<K8sObject & { spec: { minReplicas: number; maxReplicas: number } }>('HorizontalPodAutoscaler', 'peregrine-evaluation');
      if (variant === 'prod') {
        assert.equal(evaluation.spec.replicas, undefined, 'the HPA owns the replica count');
        assert.deepEqual([hpa!.spec.minReplicas, hpa!.spec.maxReplicas], [3, 20]);
      } else {
        assert.equal(hpa, undefined);
        for (const w of b.workloads()) if (w.kind !== 'DaemonSet') assert.equal(w.spec.replicas, 1, `${w.metadata.name} in dev`);
      }
    });
  });
}

describe('k8s entry points', () => {
  it('installs the prod overlay from k8s/ itself', () => {
    assert.deepEqual(build(''), variants.prod.objects);
  });

  it('documents the Secret the prod overlay expects', () => {
    const readme = readFileSync(join(K8S, 'README.md'), 'utf8');
    for (const [name, keys] of Object.entries(EXTERNAL_SECRETS.prod!)) {
      const command = readme.split('\n').find((l) => l.includes(`create secret generic ${name}`));
      assert.ok(command, `k8s/README.md shows how to create ${name}`);
      const block = readme.slice(readme.indexOf(command));
      for (const k of keys) assert.match(block.slice(0, 400), new RegExp(`--from-literal=${k}=`));
    }
  });
});
