#!/usr/bin/env node
// `npm run bench [-- NAME…]`: runs every bench/*.bench.ts in libs/ and services/ (or those whose path contains NAME),
// one after another, each in its own process so RSS and JIT state do not leak between them.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const benches = [];
for (const group of ['libs', 'services', 'tests']) {
  for (const pkg of readdirSync(join(root, group)).sort()) {
    const dir = join(root, group, pkg, 'bench');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.bench.ts')) benches.push(join(dir, f));
  }
}
const wanted = process.argv.slice(2);
const selected = wanted.length ? benches.filter((b) => wanted.some((w) => b.includes(w))) : benches;
let failed = 0;
for (const b of selected) {
  console.log(`\n=== ${b.slice(root.length + 1)}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', b], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
