/**
 * A real runc container with a Kubernetes-shaped cgroup path, and a Pod served by the stand-in API server whose
 * containerStatuses name that container's id: events from a process in the container come out of the enrichment
 * stage carrying the pod, namespace, labels, image repository and cluster name. The container id and runtime type
 * are what capture's own parser reads from the kernel's view of the process's cgroup.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { emptyBatch, MetadataState, NO_REF } from '@peregrine/event';
import { EnrichmentStage } from '@peregrine/enrichment';
import { containerFromProcCgroup } from '@peregrine/capture';
import { KubeApiServerStandIn } from '../support/kube-apiserver-standin.ts';
import { namespace, ownedBy, pod } from '../support/kube-fixtures.ts';
import { runcUnavailable, startRuncContainer, type CgroupLayout, type RuncContainer } from '../support/runc.ts';
import { handleOne, stageInit } from '../../services/enrichment/test/harness.ts';
import { containerRecord, processRecord } from '../../services/enrichment/test/batch-builder.ts';

const NODE = 'runc-node';

function containerOf(pid: number): { id: string; type: string; path: string } {
  const text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  const ref = containerFromProcCgroup(text);
  if (!ref) throw new Error(`capture finds no container in the cgroups of pid ${pid}: ${text}`);
  return { ...ref, path: text.split('\n').find((l) => l.startsWith('0::'))?.slice(3) ?? '' };
}

describe('enrichment of a runc container through the kube-apiserver stand-in', { skip: runcUnavailable() ?? false }, () => {
  let api: KubeApiServerStandIn;
  const containers: RuncContainer[] = [];
  before(async () => {
    api = await KubeApiServerStandIn.start();
    api.upsert('namespaces', namespace('payments', { 'pod-security.kubernetes.io/enforce': 'restricted' }));
    api.upsert('replicasets', ownedBy('ledger-5c8d7f9b4', 'payments', { kind: 'Deployment', name: 'ledger' }));
  });
  after(async () => {
    for (const c of containers) await c.cleanup();
    await api.close();
  });

  for (const layout of ['cgroupfs', 'systemd'] as CgroupLayout[]) {
    it(`events from a ${layout}-layout runc container carry k8s.pod.name, k8s.ns.name, pod labels, image and cluster`, async () => {
      const c = await startRuncContainer({ layout });
      containers.push(c);
      const { id, type, path } = containerOf(c.pid);
      assert.equal(type, 'containerd');
      assert.equal(id, c.id);
      assert.ok(path.includes(c.podUid.replace(/-/g, layout === 'systemd' ? '_' : '-')), path);
      const podName = `ledger-5c8d7f9b4-${layout === 'systemd' ? 'q7w2x' : 'h4k9z'}`;
      api.upsert('pods', pod({
        name: podName, namespace: 'payments', node: NODE, uid: c.podUid, labels: { app: 'ledger', 'pod-template-hash': '5c8d7f9b4' },
        containerId: id, containerName: 'ledger', image: 'ghcr.io/example/ledger:v3.2.0', owner: { kind: 'ReplicaSet', name: 'ledger-5c8d7f9b4' },
      }));

      const stage = new EnrichmentStage();
      const { init } = stageInit(NODE, {
        cluster: 'staging-us-2', sources: ['kube'], metadataWaitMs: 3000,
        kube: { apiServer: api.url, insecureSkipTlsVerify: true, backoffBaseMs: 20, backoffMaxMs: 200 },
      });
      await stage.init(init);
      try {
        // What capture emits for an exec in the container: the process record (host pid of the real process)
        // pointing at a container record that holds only the id and runtime type.
        const exec = await c.exec(['sh', '-c', 'cat /etc/hostname']);
        assert.equal(exec.code, 0);
        const batch = emptyBatch(NODE, 1);
        batch.containers.push(containerRecord(id, type));
        batch.procs.push(processRecord(c.pid, 0));
        batch.events.push({ num: 1, ts: BigInt(Date.now()) * 1_000_000n, type: 0, dir: 1, cpu: 0, tid: c.pid, proc: 0, fd: NO_REF, res: 0, args: [] });
        const [out] = await handleOne(stage, batch);
        const rec = out!.containers[out!.procs[out!.events[0]!.proc]!.container]!;
        assert.equal(out!.cluster, 'staging-us-2');
        assert.equal(rec.id, c.id);
        assert.equal(rec.metadata, MetadataState.Complete);
        assert.equal(rec.k8s?.podName, podName);
        assert.equal(rec.k8s?.nsName, 'payments');
        assert.equal(rec.k8s?.podUid, c.podUid);
        assert.deepEqual(rec.k8s?.podLabels, { app: 'ledger', 'pod-template-hash': '5c8d7f9b4' });
        assert.equal(rec.k8s?.nsLabels['pod-security.kubernetes.io/enforce'], 'restricted');
        assert.equal(rec.k8s?.workloadKind, 'Deployment');
        assert.equal(rec.k8s?.workloadName, 'ledger');
        assert.equal(rec.imageRepository, 'ghcr.io/example/ledger');
        assert.equal(rec.imageTag, 'v3.2.0');
        assert.equal(rec.name, 'ledger');
      } finally {
        await stage.close();
      }
    });
  }
});
