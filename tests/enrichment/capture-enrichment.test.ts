/**
 * Capture and enrichment together: real eBPF capture of a process exec'd in a runc container with a Kubernetes
 * cgroup path, each captured batch handed to the enrichment stage, whose Kubernetes source reads the Pod naming
 * that container from the kube-apiserver stand-in. The execve event comes out with pod, namespace, labels, image
 * and cluster filled in.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NO_REF, eventTypeByCode, type EventBatch } from '@peregrine/event';
import { Capture, containerFromProcCgroup, missingPrivileges } from '@peregrine/capture';
import { EnrichmentStage } from '@peregrine/enrichment';
import { KubeApiServerStandIn } from '../support/kube-apiserver-standin.ts';
import { namespace, pod } from '../support/kube-fixtures.ts';
import { runcUnavailable, startRuncContainer, type RuncContainer } from '../support/runc.ts';
import { handleOne, stageInit } from '../../services/enrichment/test/harness.ts';

const skip = process.getuid?.() !== 0 || missingPrivileges().length > 0 ? 'needs root for eBPF' : runcUnavailable() ?? false;
const NODE = 'capture-node';

describe('capture → enrichment with a runc pod and the kube-apiserver stand-in', { skip }, () => {
  let api: KubeApiServerStandIn;
  let stage: EnrichmentStage;
  let capture: Capture | undefined;
  let container: RuncContainer | undefined;
  const enriched: EventBatch[] = [];

  before(async () => {
    api = await KubeApiServerStandIn.start();
    api.upsert('namespaces', namespace('checkout', { owner: 'team-pay' }));
    stage = new EnrichmentStage();
    // Other tests' containers may run on this machine: unknown ones should cost little wait.
    const { init } = stageInit(NODE, { cluster: 'ebpf-cluster', sources: ['kube'], metadataWaitMs: 300, kube: { apiServer: api.url, insecureSkipTlsVerify: true, backoffBaseMs: 20 } });
    await stage.init(init);
    await stage.sourcesSynced();
  });

  after(async () => {
    capture?.stop();
    await container?.cleanup();
    await stage?.close();
    await api?.close();
  });

  it('the execve of a shell command in the container carries k8s.pod.name, k8s.ns.name, labels, image and cluster', async () => {
    container = await startRuncContainer({ layout: 'systemd' });
    const ref = containerFromProcCgroup(readFileSync(`/proc/${container.pid}/cgroup`, 'utf8'))!;
    api.upsert('pods', pod({
      name: 'payments-api-0', namespace: 'checkout', node: NODE, uid: container.podUid, labels: { app: 'payments-api' },
      containerId: ref.id, containerName: 'api', image: 'registry.local/payments/api:7.1.0', owner: { kind: 'StatefulSet', name: 'payments-api' },
    }));
    const until = Date.now() + 5000;
    while (!stage.metadata.get(ref.id)?.complete && Date.now() < until) await new Promise((r) => setTimeout(r, 10));

    capture = new Capture({ node: NODE, batch: { maxDelayMs: 20 } }, async (b) => { enriched.push(...(await handleOne(stage, b))); });
    capture.start(['execve']);
    const r = await container.exec(['sh', '-c', 'exec cat /etc/hostname']);
    assert.equal(r.code, 0, r.stderr);

    const found = await (async () => {
      const deadline = Date.now() + 5000;
      for (;;) {
        for (const b of enriched) {
          for (const ev of b.events) {
            const proc = b.procs[ev.proc];
            if (eventTypeByCode(ev.type)?.name !== 'execve' || !proc || proc.exe !== 'cat' || proc.container === NO_REF) continue;
            const c = b.containers[proc.container]!;
            if (c.id === ref.id) return { batch: b, c };
          }
        }
        if (Date.now() > deadline) throw new Error('no enriched execve of cat from the container');
        await new Promise((res) => setTimeout(res, 25));
      }
    })();
    assert.equal(found.batch.cluster, 'ebpf-cluster');
    assert.equal(found.c.type, 'containerd');
    assert.equal(found.c.k8s?.podName, 'payments-api-0');
    assert.equal(found.c.k8s?.nsName, 'checkout');
    assert.deepEqual(found.c.k8s?.podLabels, { app: 'payments-api' });
    assert.equal(found.c.k8s?.nsLabels.owner, 'team-pay');
    assert.equal(found.c.k8s?.workloadKind, 'StatefulSet');
    assert.equal(found.c.imageRepository, 'registry.local/payments/api');
    assert.equal(found.c.name, 'api');
  });
});
