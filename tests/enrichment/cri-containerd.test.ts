/**
 * The CRI source against a real containerd (Debian's 1.6, started here without systemd): pods and containers are
 * created through CRI as a kubelet does, and the enrichment stage reads name, image, privileged flag, mounts and the
 * pod's identity from containerd's socket — no API server at all.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataState } from '@peregrine/event';
import { CriClient, EnrichmentStage } from '@peregrine/enrichment';
import { containerdUnavailable, startContainerd, TEST_IMAGE, type Containerd } from '../support/kube-containerd.ts';
import { counterTotal, handleOne, stageInit } from '../../services/enrichment/test/harness.ts';
import { batchFor } from '../../services/enrichment/test/batch-builder.ts';

describe('enrichment from the CRI socket of a real containerd', { skip: containerdUnavailable() ?? false }, () => {
  let ctd: Containerd;
  let hostDir: string;
  before(async () => {
    ctd = await startContainerd();
    hostDir = mkdtempSync(join(tmpdir(), 'peregrine-cri-mount-'));
  });
  after(async () => {
    await ctd?.stop();
    rmSync(hostDir, { recursive: true, force: true });
  });

  async function startStage(pollIntervalMs: number) {
    const stage = new EnrichmentStage();
    const { init, recorded } = stageInit('cri-node', { cluster: 'cri-only', sources: ['cri'], metadataWaitMs: 3000, cri: { socket: ctd.socket, pollIntervalMs } });
    await stage.init(init);
    await stage.sourcesSynced();
    return { stage, recorded };
  }

  it('speaks CRI v1 to containerd', async () => {
    const client = new CriClient(ctd.socket, 2000);
    try {
      const v = await client.version();
      assert.equal(v.runtimeName, 'containerd');
      assert.equal(v.runtimeApiVersion, 'v1');
    } finally {
      client.close();
    }
  });

  it('fills a running container listed at start: name, image, privileged, mounts, pod from the sandbox', async () => {
    const { sandboxId, containerId } = await ctd.runPod({
      name: 'agent-x7k2p', namespace: 'monitoring', uid: '6a1f0c2e-1111-4c3b-9d7e-0123456789ab', labels: { app: 'agent' },
      containerName: 'collector', privileged: true, mounts: [{ containerPath: '/host-data', hostPath: hostDir, readonly: true }],
    });
    const { stage } = await startStage(60_000);
    try {
      const [out] = await handleOne(stage, batchFor('cri-node', 1, [containerId], 2));
      const c = out!.containers[0]!;
      assert.equal(out!.cluster, 'cri-only');
      assert.equal(c.metadata, MetadataState.Complete);
      assert.equal(c.name, 'collector');
      assert.equal(c.image, TEST_IMAGE);
      assert.equal(c.imageRepository, 'docker.io/peregrine/busybox');
      assert.equal(c.imageTag, 'test');
      assert.match(c.imageDigest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(c.privileged, true);
      assert.ok(c.startTs > BigInt(Date.now() - 600_000) * 1_000_000n, `startTs ${c.startTs}`);
      const mount = c.mounts.find((m) => m.dest === '/host-data');
      assert.deepEqual(mount && [mount.source, mount.rdwr], [hostDir, false]);
      assert.equal(c.k8s?.podName, 'agent-x7k2p');
      assert.equal(c.k8s?.nsName, 'monitoring');
      assert.equal(c.k8s?.podUid, '6a1f0c2e-1111-4c3b-9d7e-0123456789ab');
      assert.deepEqual(c.k8s?.podLabels, { app: 'agent' });
      await ctd.removePod(sandboxId);
    } finally {
      await stage.close();
    }
  });

  it('looks up a container started after the last poll as soon as its first event arrives', async () => {
    const { stage, recorded } = await startStage(60_000);
    try {
      const { containerId } = await ctd.runPod({ name: 'web-0', namespace: 'shop', uid: 'uid-web-0', labels: { app: 'web' }, containerName: 'nginx' });
      const t0 = Date.now();
      const [out] = await handleOne(stage, batchFor('cri-node', 2, [containerId], 3));
      assert.ok(Date.now() - t0 < 3000, 'answered by the lookup, not by the wait running out');
      assert.equal(out!.events.length, 3);
      assert.equal(out!.containers[0]!.name, 'nginx');
      assert.equal(out!.containers[0]!.privileged, false);
      assert.equal(out!.containers[0]!.k8s?.podName, 'web-0');
      assert.equal(counterTotal(recorded, 'peregrine_enrichment_metadata_missing_total'), 0);
    } finally {
      await stage.close();
    }
  });

  it('marks a removed container as exited at the next poll', async () => {
    const { sandboxId, containerId } = await ctd.runPod({ name: 'job-1', namespace: 'batch', uid: 'uid-job-1', labels: {}, containerName: 'task' });
    const { stage } = await startStage(100);
    try {
      assert.equal(stage.metadata.get(containerId)?.merged?.name, 'task');
      await ctd.removePod(sandboxId);
      const until = Date.now() + 5000;
      while (!(stage.metadata.get(containerId)!.exitedAtMs > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.ok(stage.metadata.get(containerId)!.exitedAtMs > 0);
    } finally {
      await stage.close();
    }
  });
});
