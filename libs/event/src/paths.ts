/** Path resolution as libsinsp does it for fd names and the cwd: join, then fold "." and ".." segments. */

/** Joins `path` onto `dir` (unless absolute) and normalizes; a trailing "/" is dropped except for the root. */
export function resolvePath(dir: string, path: string): string {
  if (path === '') return dir;
  const joined = path.startsWith('/') ? path : `${dir.endsWith('/') ? dir : `${dir}/`}${path}`;
  if (!joined.includes('/.') && !joined.includes('//') && (joined.length === 1 || !joined.endsWith('/'))) return joined;
  const out: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}
