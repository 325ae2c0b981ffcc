/** services/Dockerfile, checked statically: what it copies exists, its targets run the CLI as the manifests do. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_STAGES } from '@peregrine/runtime';
import { copySources, effective, execForm, parseDockerfile } from './dockerfile.ts';
import { Built, ROOT, build, type Workload } from './manifests.ts';

const stages = parseDockerfile();
const k8s = new Built(build('overlays/prod'));

/** image → the Kubernetes containers that run it */
function containersByImage(): Map<string, Array<{ runAsUser: number | undefined; command: string[]; stage: string }>> {
  const out = new Map<string, Array<{ runAsUser: number | undefined; command: string[]; stage: string }>>();
  for (const w of k8s.workloads() as Workload[]) {
    const pod = w.spec.template.spec as Workload['spec']['template']['spec'] & { securityContext?: { runAsUser?: number } };
    for (const c of pod.containers) {
      if (!c.command) continue;
      const list = out.get(c.image) ?? [];
      list.push({ runAsUser: c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser, command: c.command, stage: c.args![1]! });
      out.set(c.image, list);
    }
  }
  return out;
}

const IMAGE_TARGET: Record<string, string> = { 'peregrine:0.1.0': 'runtime', 'peregrine-capture:0.1.0': 'capture' };

describe('services/Dockerfile', () => {
  it('copies only files that exist, and every workspace manifest before npm ci', () => {
    const names = new Set<string>();
    for (const s of stages) {
      for (const i of s.instructions.filter((x) => x.op === 'COPY')) {
        const { from, sources } = copySources(i);
        if (from) {
          assert.ok(names.has(from), `line ${i.line}: COPY --from=${from} names no earlier stage`);
          continue;
        }
        for (const src of sources) assert.ok(existsSync(join(ROOT, src)), `line ${i.line}: ${src} does not exist`);
      }
      names.add(s.name);
    }
    const buildStage = stages.find((s) => s.name === 'build')!;
    const npmCi = buildStage.instructions.findIndex((i) => i.op === 'RUN' && i.args.includes('npm ci'));
    const copied = new Set(buildStage.instructions.slice(0, npmCi).filter((i) => i.op === 'COPY').flatMap((i) => copySources(i).sources));
    const workspaces = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
    for (const pattern of workspaces) {
      const dir = pattern.replace(/\/\*$/, '');
      for (const name of readdirSync(join(ROOT, dir))) {
        const pkg = `${dir}/${name}/package.json`;
        if (existsSync(join(ROOT, pkg))) assert.ok(copied.has(pkg), `${pkg} is not copied before npm ci`);
      }
    }
    for (const f of ['package.json', 'package-lock.json']) assert.ok(copied.has(f));
  });

  it('keeps local dependencies and build output out of the context, and nothing the Dockerfile copies', () => {
    const ignored = readFileSync(join(ROOT, 'services/Dockerfile.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    for (const must of ['**/node_modules', 'services/capture/build', '.git']) assert.ok(ignored.includes(must), must);
    const copied = stages.flatMap((s) => s.instructions.filter((i) => i.op === 'COPY' && !copySources(i).from).flatMap((i) => copySources(i).sources));
    for (const src of copied) {
      assert.ok(!ignored.some((pattern) => src.replace(/\/$/, '') === pattern.replace(/^\*\*\//, '')), `${src} is copied but ignored`);
    }
  });

  it('builds the capture addon and BPF object with files that exist', () => {
    const run = stages.find((s) => s.name === 'build')!.instructions.find((i) => i.op === 'RUN' && i.args.includes('node-gyp'))!;
    const dir = /cd (\S+)/.exec(run.args)![1]!;
    assert.ok(existsSync(join(ROOT, dir, 'binding.gyp')));
    const script = /sh (\S+)/.exec(run.args)![1]!;
    assert.ok(existsSync(join(ROOT, dir, script)), `${dir}/${script}`);
  });

  it('runs the CLI in each target as the manifests run it, as root only for capture', () => {
    const cli = ['node', 'libs/cli/bin/peregrine.mjs'];
    assert.ok(existsSync(join(ROOT, cli[1]!)));
    for (const [image, containers] of containersByImage()) {
      const target = IMAGE_TARGET[image];
      if (!target) continue;
      assert.deepEqual(execForm(effective(stages, target, 'ENTRYPOINT')), cli, `${target} entrypoint`);
      const [run, stage] = execForm(effective(stages, target, 'CMD'))!;
      assert.equal(run, 'run');
      assert.ok(Object.hasOwn(BUILTIN_STAGES, stage!), `${target} CMD runs ${stage}`);
      assert.equal(effective(stages, target, 'WORKDIR'), '/app', 'the manifests and config expect the repository at /app');
      const user = effective(stages, target, 'USER');
      for (const c of containers) {
        assert.deepEqual(c.command, cli);
        // Enrichment alone overrides the image's user, to open the root-owned runtime socket (with no capabilities).
        if (c.stage !== 'enrichment') assert.equal(String(c.runAsUser), user === 'root' ? '0' : user, `${c.stage} runs as the image's user`);
      }
      if (target === 'capture') assert.equal(user, 'root');
      else assert.equal(user, '1000');
    }
    assert.deepEqual([...containersByImage().keys()].filter((i) => IMAGE_TARGET[i]).sort(), Object.keys(IMAGE_TARGET).sort());
  });
});
