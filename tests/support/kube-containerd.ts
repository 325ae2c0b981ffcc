/**
 * A real containerd (Debian's `containerd` 1.6) for CRI tests: its own config, root, state and socket in a temp
 * directory, no systemd, no CNI (pods use the node's network namespace, as hostNetwork pods do), and a busybox
 * image built here as an OCI archive and imported with `ctr` (there is no registry to pull from). `runPod` starts a
 * pod sandbox and one container through CRI exactly as a kubelet does.
 *
 * Needs root and the `containerd` package; `containerdUnavailable()` says why not when it cannot run.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const run = promisify(execFile);
const BUSYBOX = '/bin/busybox';
export const TEST_IMAGE = 'docker.io/peregrine/busybox:test';

export function containerdUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'containerd needs root';
  if (!existsSync('/usr/bin/containerd') || !existsSync('/usr/bin/ctr')) return 'containerd is missing (apt-get install containerd)';
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (apt-get install busybox-static)`;
  return null;
}

export interface PodSpec {
  name: string;
  namespace: string;
  uid: string;
  labels: Record<string, string>;
  containerName: string;
  privileged?: boolean;
  mounts?: Array<{ containerPath: string; hostPath: string; readonly: boolean }>;
}

export interface Containerd {
  socket: string;
  /** Starts a sandbox and one container (sleeping) through CRI; returns their ids. */
  runPod(spec: PodSpec): Promise<{ sandboxId: string; containerId: string }>;
  removePod(sandboxId: string): Promise<void>;
  stop(): Promise<void>;
}

type Unary = (req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Record<string, string>) => void) => void;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** An OCI image archive with one layer: busybox and a few applet links. */
async function buildImageArchive(dir: string): Promise<string> {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
  for (const applet of ['sh', 'sleep', 'cat']) symlinkSync('busybox', join(rootfs, 'bin', applet));
  const layout = join(dir, 'layout');
  const blobs = join(layout, 'blobs/sha256');
  mkdirSync(blobs, { recursive: true });
  const layerTar = join(dir, 'layer.tar');
  await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', layerTar, 'bin']);
  const layer = readFileSync(layerTar);
  const layerDigest = sha256(layer);
  writeFileSync(join(blobs, layerDigest), layer);
  const blob = (obj: unknown) => {
    const b = Buffer.from(JSON.stringify(obj));
    const d = sha256(b);
    writeFileSync(join(blobs, d), b);
    return { digest: `sha256:${d}`, size: b.length };
  };
  const config = blob({
    architecture: process.arch === 'arm64' ? 'arm64' : 'amd64', os: 'linux',
    config: { Entrypoint: ['/bin/sleep'], Cmd: ['3600'], Env: ['PATH=/bin'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
  });
  const manifest = blob({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerDigest}`, size: statSync(layerTar).size }],
  });
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest,
      annotations: { 'io.containerd.image.name': TEST_IMAGE, 'org.opencontainers.image.ref.name': 'test' },
    }],
  }));
  const archive = join(dir, 'image.tar');
  await run('tar', ['-C', layout, '-cf', archive, '.']);
  return archive;
}

async function waitFor(path: string, child: ChildProcess, log: () => string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!existsSync(path)) {
    if (child.exitCode !== null) throw new Error(`containerd exited (${child.exitCode}): ${log()}`);
    if (Date.now() > until) throw new Error(`containerd socket ${path} missing after ${ms} ms: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startContainerd(): Promise<Containerd> {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-containerd-'));
  const socket = join(dir, 'containerd.sock');
  writeFileSync(join(dir, 'config.toml'), [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    '[grpc]', `  address = "${socket}"`,
    '[ttrpc]', `  address = "${socket}.ttrpc"`,
    '[plugins."io.containerd.grpc.v1.cri"]', `  sandbox_image = "${TEST_IMAGE}"`,
    // This machine refuses negative oom_score_adj even to root; the kubelet's -998 for sandboxes would fail.
    '  restrict_oom_score_adj = true',
    '[plugins."io.containerd.grpc.v1.cri".containerd]', '  disable_snapshot_annotations = true',
    '',
  ].join('\n'));
  let stderr = '';
  const child = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d) => { stderr = (stderr + d).slice(-8000); });
  if (process.env.CTD_DEBUG) child.stderr?.pipe(process.stderr);
  const stop = async () => {
    if (child.exitCode === null) {
      await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); });
    }
    // Shims outlive containerd; their containers were removed by removePod. Unmount what is left, then delete.
    await run('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l`]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(socket, child, () => stderr, 15_000);
    await run('ctr', ['-a', socket, '-n', 'k8s.io', 'images', 'import', await buildImageArchive(dir)]);
  } catch (err) {
    await stop();
    throw err;
  }
  const def = protoLoader.loadSync(fileURLToPath(new URL('./kube-cri-kubelet.proto', import.meta.url)), { keepCase: false, longs: String, enums: String, defaults: true });
  const Service = (grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: { RuntimeService: new (a: string, c: grpc.ChannelCredentials) => grpc.Client & Record<string, Unary> } } }).runtime.v1.RuntimeService;
  const client = new Service(`unix://${socket}`, grpc.credentials.createInsecure());
  const call = (method: string, req: unknown) => new Promise<Record<string, string>>((resolve, reject) => {
    client[method]!.call(client, req, { deadline: Date.now() + 30_000 }, (err, res) => (err ? reject(new Error(`${method}: ${err.message}`)) : resolve(res)));
  });
  const sandboxes = new Set<string>();
  const removePod = async (sandboxId: string) => {
    await call('StopPodSandbox', { podSandboxId: sandboxId });
    await call('RemovePodSandbox', { podSandboxId: sandboxId });
    sandboxes.delete(sandboxId);
  };
  return {
    socket,
    async runPod(spec) {
      const node = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' };
      const sandboxConfig = {
        metadata: { name: spec.name, uid: spec.uid, namespace: spec.namespace, attempt: 0 },
        hostname: '',
        logDirectory: join(dir, 'logs', spec.uid),
        labels: { ...spec.labels, 'io.kubernetes.pod.name': spec.name, 'io.kubernetes.pod.namespace': spec.namespace, 'io.kubernetes.pod.uid': spec.uid },
        linux: { securityContext: { namespaceOptions: node, privileged: spec.privileged ?? false } },
      };
      mkdirSync(sandboxConfig.logDirectory, { recursive: true });
      const { podSandboxId } = await call('RunPodSandbox', { config: sandboxConfig });
      sandboxes.add(podSandboxId!);
      const { containerId } = await call('CreateContainer', {
        podSandboxId,
        sandboxConfig,
        config: {
          metadata: { name: spec.containerName, attempt: 0 },
          image: { image: TEST_IMAGE },
          command: ['/bin/sleep'], args: ['3600'],
          mounts: spec.mounts ?? [],
          labels: { 'io.kubernetes.container.name': spec.containerName },
          logPath: `${spec.containerName}.log`,
          linux: { securityContext: { privileged: spec.privileged ?? false, namespaceOptions: node } },
        },
      });
      await call('StartContainer', { containerId });
      return { sandboxId: podSandboxId!, containerId: containerId! };
    },
    removePod,
    async stop() {
      for (const id of [...sandboxes]) await removePod(id).catch(() => {});
      client.close();
      await stop();
    },
  };
}
