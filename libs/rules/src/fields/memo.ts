/**
 * Derived strings (proc.cmdline, fd.directory…) computed once per record, not once per check: records are
 * immutable snapshots, so a WeakMap keyed by the record is exact and is collected with its batch.
 */
export function memo<R extends object>(derive: (r: R) => string): (r: R) => string {
  const cache = new WeakMap<R, string>();
  return (r) => {
    let s = cache.get(r);
    if (s === undefined) {
      s = derive(r);
      cache.set(r, s);
    }
    return s;
  };
}
