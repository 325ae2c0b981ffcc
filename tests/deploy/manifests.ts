/**
 * Reading what we deploy: the kustomize build of an overlay (through `kubectl kustomize`, the kustomize that
 * `kubectl apply -k` uses), and lookups across the built objects: what a container sees at a path, which Service a
 * URL names.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '../..');
export const K8S = join(ROOT, 'k8s');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/* The parts of a pod spec the checks read. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}
export interface Probe { httpGet?: { path: string; port: number | string } }
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { privileged?: boolean; runAsUser?: number; capabilities?: { add?: string[]; drop?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
}
export interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string };
  hostPath?: { path: string };
  emptyDir?: object;
}
export interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  serviceAccountName?: string;
  hostPID?: boolean;
  tolerations?: Array<{ operator?: string; effect?: string }>;
  automountServiceAccountToken?: boolean;
}
export interface Workload extends K8sObject {
  spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec }; replicas?: number; volumeClaimTemplates?: unknown[] };
}

function kustomize(dir: string): K8sObject[] {
  let text: string;
  try {
    text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { code?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new Error('kubectl is needed for `kubectl kustomize` (it is part of the machine image)');
    throw new Error(`kubectl kustomize ${relative(ROOT, dir)} failed: ${err.stderr ?? String(e)}`);
  }
  return parseAllDocuments(text).map((d) => d.toJS() as K8sObject).filter((o) => o !== null);
}

/** The build of a kustomization directory under k8s/ ('' for k8s/ itself). */
export function build(dir: string): K8sObject[] {
  return kustomize(join(K8S, dir));
}

/** The build of an overlay with extra components, as a user enabling them in their own overlay would get. */
export function buildWithComponents(overlay: string, components: string[]): K8sObject[] {
  const tmp = mkdtempSync(join(tmpdir(), 'peregrine-kustomize-'));
  try {
    // kustomize wants relative paths to other kustomizations.
    const rel = (p: string) => relative(tmp, join(K8S, p));
    writeFileSync(join(tmp, 'kustomization.yaml'), `resources: [${rel(overlay)}]\ncomponents: [${components.map(rel).join(', ')}]\n`);
    return kustomize(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export class Built {
  constructor(readonly objects: K8sObject[]) {}

  all<T extends K8sObject = K8sObject>(kind: string): T[] {
    return this.objects.filter((o) => o.kind === kind) as T[];
  }

  find<T extends K8sObject = K8sObject>(kind: string, name: string): T | undefined {
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name) as T | undefined;
  }

  get<T extends K8sObject = K8sObject>(kind: string, name: string): T {
    const o = this.find<T>(kind, name);
    if (!o) throw new Error(`no ${kind} ${name} in the build`);
    return o;
  }

  workloads(): Workload[] {
    return this.objects.filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.kind)) as Workload[];
  }

  /** The text of a ConfigMap or Secret key, decoded. */
  dataOf(kind: 'ConfigMap' | 'Secret', name: string, key: string): string | undefined {
    const o = this.find(kind, name) as (K8sObject & { data?: Record<string, string>; stringData?: Record<string, string> }) | undefined;
    if (!o) return undefined;
    if (kind === 'Secret' && o.data?.[key] !== undefined) return Buffer.from(o.data[key]!, 'base64').toString('utf8');
    return o.stringData?.[key] ?? o.data?.[key];
  }

  /**
   * What a container reads at an absolute path: a ConfigMap key through its volume mounts, or a file of the
   * repository, which the image holds at /app. undefined when nothing provides it.
   */
  fileIn(pod: PodSpec, container: Container, path: string): string | undefined {
    const mounts = (container.volumeMounts ?? []).filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
    mounts.sort((a, b) => b.mountPath.length - a.mountPath.length);
    const mount = mounts[0];
    if (mount) {
      const volume = pod.volumes?.find((v) => v.name === mount.name);
      if (!volume?.configMap) return undefined;
      const key = mount.subPath ?? path.slice(mount.mountPath.length + 1);
      return this.dataOf('ConfigMap', volume.configMap.name, key);
    }
    if (path.startsWith('/app/')) {
      try {
        return readFileSync(join(ROOT, path.slice('/app/'.length)), 'utf8');
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  /** The Service a URL's host names (short name or <svc>.<ns>[.svc…]), if it exposes the URL's port. */
  serviceFor(url: string): K8sObject | undefined {
    const u = new URL(url);
    const [name, ns] = u.hostname.split('.');
    const port = Number(u.port);
    return this.all('Service').find((s) => {
      if (s.metadata.name !== name || (ns !== undefined && s.metadata.namespace !== ns)) return false;
      const ports = (s as { spec?: { ports?: Array<{ port: number }> } }).spec?.ports ?? [];
      return ports.some((p) => p.port === port);
    });
  }
}

/** Every env var a container gets, with valueFrom refs resolved against the build (undefined: unresolved). */
export function envValue(b: Built, env: EnvVar): string | undefined {
  if (env.value !== undefined) return env.value;
  const from = env.valueFrom;
  if (from?.configMapKeyRef) return b.dataOf('ConfigMap', from.configMapKeyRef.name, from.configMapKeyRef.key);
  if (from?.secretKeyRef) return b.dataOf('Secret', from.secretKeyRef.name, from.secretKeyRef.key);
  return undefined;
}
