/**
 * Splits an image reference the way `container.image.repository`, `.tag` and `.digest` read it:
 * `registry:5000/team/app:1.2@sha256:ab…` → repository `registry:5000/team/app`, tag `1.2`, digest `sha256:ab…`.
 */
export interface ImageRef {
  repository: string;
  tag: string;
  digest: string;
}

export function parseImageRef(ref: string): ImageRef {
  let rest = ref;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag = '';
  // A ':' after the last '/' separates the tag; one before it belongs to a registry port.
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { repository: rest, tag, digest };
}

/** The digest in an image id such as `docker.io/library/nginx@sha256:…` or a bare `sha256:…`. */
export function digestOf(imageId: string): string {
  const at = imageId.indexOf('@');
  if (at >= 0) return imageId.slice(at + 1);
  return imageId.startsWith('sha256:') ? imageId : '';
}
