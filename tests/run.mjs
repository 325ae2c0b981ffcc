#!/usr/bin/env node
// Runs the test suite with node's own runner: `npm test [-- PATH…]`.
// Node 20 does not expand globs, so this finds the files: every *.test.ts below the given paths (default: the repo).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const skip = new Set(['node_modules', '.git', '.nx', 'build', 'dist']);

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    if (!skip.has(name)) collect(join(path, name), out);
  }
  return out;
}

const args = process.argv.slice(2);
const passthrough = args.filter((a) => a.startsWith('--'));
const paths = args.filter((a) => !a.startsWith('--'));
const roots = paths.length > 0 ? paths.map((p) => resolve(p)) : ['libs', 'services', 'tests'].map((p) => join(root, p));
const files = roots.flatMap((r) => collect(r, [])).map((f) => relative(process.cwd(), f));
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...passthrough, ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
