/**
 * Prefix checks: a linear scan of `startsWith` against the tries the compiler uses for `pmatch` and for three or
 * more `startswith` alternatives on one field. Values are typical paths, 10% of them matching. Prints checks/s for
 * each list size and the ratio of the trie against the scan (the baseline).
 */
import { PathPrefixSet, StringPrefixSet } from '../src/filter/prefix-trie.ts';

const RUN_MS = Number(process.env.BENCH_MS ?? 400);
const DIRS = ['usr', 'lib', 'etc', 'var', 'opt', 'srv', 'home', 'run', 'proc', 'sys', 'tmp', 'bin', 'sbin', 'root'];
const SUB = ['local', 'share', 'cache', 'log', 'app', 'node_modules', 'python3', 'systemd', 'ssl', 'x86_64-linux-gnu'];

function prefixes(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) out.push(`/${DIRS[i % DIRS.length]}/${SUB[(i * 7) % SUB.length]}${i >= 140 ? i : ''}`);
  return out;
}
function values(list: string[]): string[] {
  return Array.from({ length: 1000 }, (_, i) =>
    i % 10 === 0 ? `${list[i % list.length]}/file${i}` : `/data/${SUB[i % SUB.length]}/${DIRS[i % DIRS.length]}/f${i}`);
}

function rate(check: (v: string) => boolean, vs: string[]): number {
  let hits = 0;
  for (let i = 0; i < 50; i++) for (const v of vs) if (check(v)) hits++;
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < RUN_MS) {
    for (const v of vs) if (check(v)) hits++;
    n += vs.length;
  }
  if (hits < 0) console.log(hits);
  return n / ((performance.now() - start) / 1000);
}

console.log('prefixes  scan checks/s  string trie   x scan  path trie (pmatch)  x scan');
for (const size of [1, 2, 3, 5, 10, 50, 200]) {
  const list = prefixes(size);
  const vs = values(list);
  const scan = rate((v) => list.some((p) => v.startsWith(p)), vs);
  const str = new StringPrefixSet(list);
  const path = new PathPrefixSet(list);
  const s = rate((v) => str.matches(v), vs);
  const p = rate((v) => path.matches(v), vs);
  console.log(
    `${String(size).padStart(8)}  ${(scan / 1e6).toFixed(1).padStart(9)} M  ${(s / 1e6).toFixed(1).padStart(9)} M  ${(s / scan).toFixed(2).padStart(6)}  ` +
    `${(p / 1e6).toFixed(1).padStart(15)} M  ${(p / scan).toFixed(2).padStart(6)}`,
  );
}
console.log(`RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
