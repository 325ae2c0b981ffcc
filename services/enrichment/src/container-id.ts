/** Container runtimes as Kubernetes names them in `containerID` URIs, and as `container.type` reports them. */
export const RUNTIME_OF_SCHEME: Readonly<Record<string, string>> = {
  containerd: 'containerd',
  'cri-o': 'cri-o',
  docker: 'docker',
};

export interface ContainerRef {
  runtime: string;
  id: string;
}

/** `containerd://<64 hex>` → { runtime: 'containerd', id }. Undefined for an empty or schemeless id. */
export function parseContainerId(uri: string | undefined): ContainerRef | undefined {
  if (!uri) return undefined;
  const sep = uri.indexOf('://');
  if (sep <= 0) return undefined;
  const id = uri.slice(sep + 3);
  if (!id) return undefined;
  const scheme = uri.slice(0, sep);
  return { runtime: RUNTIME_OF_SCHEME[scheme] ?? scheme, id };
}
