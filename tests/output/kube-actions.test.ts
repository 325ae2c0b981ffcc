/**
 * Kubernetes responses against a stand-in API server (there is no kube-apiserver here): terminate, label and
 * isolate send the right DELETE, PATCH and POST requests through @kubernetes/client-node; a dry_run rule sends the
 * same requests with dryRun=All, so the server validates them and changes nothing. `continue: false` stops later
 * rules; a failing action with ignore_errors lets the next one run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionTaken, MemoryBus } from '@peregrine/bus';
import createStage, { ISOLATION_LABEL, type ActionRecord } from '@peregrine/output';
import type { AlertStage } from '@peregrine/runtime';
import { KubeResponseStandIn } from './support/kube-standin.ts';
import { handlerContext, makeAlert, makeInit } from './support/stage-harness.ts';

const RULES = `
- action: Terminate
  actionner: kubernetes:terminate
  parameters: { grace_period_seconds: 3 }
- action: Quarantine label
  actionner: kubernetes:label
  parameters: { labels: { peregrine/quarantine: "true", app: null } }
- action: Isolate
  actionner: kubernetes:networkpolicy
- rule: Crypto miner in prod
  match:
    rules: [Detect crypto miners using the Stratum protocol]
    priority: ">=Critical"
    output_fields: [k8s.ns.name=prod]
  actions: [{ action: Quarantine label }, { action: Isolate }, { action: Terminate }]
  continue: false
- rule: Never reached after a continue false
  match: { rules: [Detect crypto miners using the Stratum protocol] }
  actions: [{ action: Terminate }]
- rule: Shell in staging, dry run
  match:
    tags: ["shell,container"]
    output_fields: [k8s.ns.name=staging]
  dry_run: true
  actions: [{ action: Quarantine label }, { action: Isolate }, { action: Terminate }]
- rule: Missing pod then isolate
  match: { rules: [Missing pod] }
  ignore_errors: true
  actions: [{ action: Terminate }, { action: Isolate }]
- rule: Isolate a bare pod
  match: { rules: [Isolate bare] }
  actions: [{ action: Isolate }]
`;

test('Kubernetes actions against a stand-in API server: DELETE, PATCH and POST as configured, dry-run honoured', async (t) => {
  const api = await KubeResponseStandIn.start();
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-kube-'));
  const bus = new MemoryBus();
  const stage = createStage() as AlertStage;
  t.after(async () => { await stage.close?.(); await api.close(); await bus.close(); rmSync(dir, { recursive: true, force: true }); });
  writeFileSync(join(dir, 'responses.yaml'), RULES);
  writeFileSync(join(dir, 'kubeconfig'), api.kubeconfig());
  api.addPod('prod', 'miner-1', { app: 'web', tier: 'front' });
  api.addPod('staging', 'shell-1', { app: 'api' });
  api.addPod('dev', 'bare-1', {});
  const records: ActionRecord[] = [];
  for (const verb of ['terminate', 'label', 'isolate']) bus.control.serve(actionTaken(verb), (d) => { records.push(JSON.parse(Buffer.from(d).toString())); });
  await stage.init!(makeInit({ stateDir: join(dir, 'state'), destinations: [],
    responses: { rulesFile: join(dir, 'responses.yaml'), kubeconfig: join(dir, 'kubeconfig') } }, bus.control).init);

  const handle = async (a: ReturnType<typeof makeAlert>) => { const { ctx, span } = handlerContext(a); await stage.handle(a, ctx); span.end(); };

  // 1. A real run: label, isolate (selecting the pod's labels as they are after the label patch), terminate.
  await handle(makeAlert({ rule: 'Detect crypto miners using the Stratum protocol', priority: 'Critical', fields: { 'k8s.ns.name': 'prod', 'k8s.pod.name': 'miner-1' } }));
  const prod = api.requests.splice(0).map((r) => `${r.method} ${r.path}${r.query.dryRun ? ` dryRun=${r.query.dryRun}` : ''}`);
  assert.deepEqual(prod, [
    'PATCH /api/v1/namespaces/prod/pods/miner-1',
    'GET /api/v1/namespaces/prod/pods/miner-1',
    'POST /apis/networking.k8s.io/v1/namespaces/prod/networkpolicies',
    'DELETE /api/v1/namespaces/prod/pods/miner-1',
  ]);
  const np = api.policies.get('prod/peregrine-isolate-miner-1')!;
  assert.deepEqual(np.spec, { podSelector: { matchLabels: { tier: 'front', 'peregrine/quarantine': 'true' } }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] });
  assert.equal(api.pods.has('prod/miner-1'), false, 'terminated');

  // 2. Dry run: the same requests, each with dryRun=All; nothing changes on the server.
  await handle(makeAlert({ rule: 'Terminal shell in container', priority: 'Notice', tags: ['shell', 'container'], fields: { 'k8s.ns.name': 'staging', 'k8s.pod.name': 'shell-1' } }));
  const staging = api.requests.splice(0);
  assert.deepEqual(staging.map((r) => `${r.method} ${r.path} ${r.query.dryRun ?? '-'}`), [
    'PATCH /api/v1/namespaces/staging/pods/shell-1 All',
    'GET /api/v1/namespaces/staging/pods/shell-1 -',
    'POST /apis/networking.k8s.io/v1/namespaces/staging/networkpolicies All',
    'DELETE /api/v1/namespaces/staging/pods/shell-1 All',
  ]);
  assert.deepEqual(staging[0]!.body, { metadata: { labels: { 'peregrine/quarantine': 'true', app: null } } });
  assert.equal(staging[0]!.contentType, 'application/merge-patch+json');
  assert.equal(staging[3]!.query.gracePeriodSeconds, '3');
  assert.deepEqual(api.pods.get('staging/shell-1')!.metadata.labels, { app: 'api' });
  assert.equal(api.policies.has('staging/peregrine-isolate-shell-1'), false);

  // 3. ignore_errors: terminating a pod that does not exist fails, isolation of it still runs (and fails too).
  await handle(makeAlert({ rule: 'Missing pod', priority: 'Error', fields: { 'k8s.ns.name': 'dev', 'k8s.pod.name': 'gone-1' } }));
  assert.deepEqual(api.requests.splice(0).map((r) => `${r.method} ${r.path}`), [
    'DELETE /api/v1/namespaces/dev/pods/gone-1',
    'GET /api/v1/namespaces/dev/pods/gone-1',
  ]);

  // 4. A pod with no labels is labelled so the deny-all policy can select it.
  await handle(makeAlert({ rule: 'Isolate bare', priority: 'Error', fields: { 'k8s.ns.name': 'dev', 'k8s.pod.name': 'bare-1' } }));
  assert.deepEqual(api.requests.splice(0).map((r) => `${r.method} ${r.path}`), [
    'GET /api/v1/namespaces/dev/pods/bare-1',
    'PATCH /api/v1/namespaces/dev/pods/bare-1',
    'POST /apis/networking.k8s.io/v1/namespaces/dev/networkpolicies',
  ]);
  assert.deepEqual(api.pods.get('dev/bare-1')!.metadata.labels, { [ISOLATION_LABEL]: 'bare-1' });
  assert.deepEqual(api.policies.get('dev/peregrine-isolate-bare-1')!.spec.podSelector, { matchLabels: { [ISOLATION_LABEL]: 'bare-1' } });
  await new Promise((r) => setTimeout(r, 50));
  const summary = records.map((r) => `${r.responseRule}: ${r.action} ${r.status}`);
  assert.deepEqual(summary, [
    'Crypto miner in prod: Quarantine label done',
    'Crypto miner in prod: Isolate done',
    'Crypto miner in prod: Terminate done',
    'Shell in staging, dry run: Quarantine label dry_run',
    'Shell in staging, dry run: Isolate dry_run',
    'Shell in staging, dry run: Terminate dry_run',
    'Missing pod then isolate: Terminate failed',
    'Missing pod then isolate: Isolate failed',
    'Isolate a bare pod: Isolate done',
  ]);
});
