/**
 * The stage's default append_output: an upstream Falco rule (which no longer prints %container.info) still tells a
 * Kubernetes user which pod and container an alert is about, in output_fields only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert } from '@peregrine/event';
import { loadRules } from '@peregrine/rules';
import { parseEvaluationConfig } from '../src/index.ts';
import { BatchBuilder } from '../../../libs/rules/test/ruleset/batch-builder.ts';
import { UPSTREAM_STABLE_RULES } from '../../../tests/support/shared.ts';

const RULE = 'Terminal shell in container';

/** kubectl exec -ti into a pod: a bash with a tty whose parent is the runtime. */
function kubectlExec(): BatchBuilder {
  const b = new BatchBuilder();
  const c = b.container({ name: 'web', imageRepository: 'registry.example.com/shop/web' }, { nsName: 'shop', podName: 'web-7d9f8b6c5-x1q2z' });
  b.event('execve', { proc: b.proc({ name: 'bash', tty: 34816, args: ['-i'] }, [{ name: 'runc' }], c), args: {} });
  return b;
}

async function alertsUnder(raw: Record<string, unknown>): Promise<Alert[]> {
  const config = parseEvaluationConfig({ rules: [UPSTREAM_STABLE_RULES], ...raw });
  const ruleset = await loadRules(config.rules, config.engine);
  const out: Alert[] = [];
  ruleset.evaluate(kubectlExec().batch, (a) => out.push(a));
  return out.filter((a) => a.rule === RULE);
}

describe('evaluation config: default append_output', () => {
  it(`"${RULE}" from upstream falco_rules.yaml carries pod and container in output_fields`, async () => {
    const [alert, ...more] = await alertsUnder({});
    assert.equal(more.length, 0);
    assert.ok(alert, 'the rule fired');
    const f = alert.output_fields;
    assert.equal(f['k8s.ns.name'], 'shop');
    assert.equal(f['k8s.pod.name'], 'web-7d9f8b6c5-x1q2z');
    assert.equal(f['container.id'], 'a1b2c3d4e5f6');
    assert.equal(f['container.name'], 'web');
    assert.equal(f['container.image.repository'], 'registry.example.com/shop/web');
    // The rule's own fields come first, in its output's order; the extras follow; the text is the rule's own.
    const keys = Object.keys(f);
    assert.deepEqual(keys.slice(0, 3), ['evt.time', 'evt.type', 'user.name']);
    assert.deepEqual(keys.slice(-5), ['container.id', 'container.name', 'container.image.repository', 'k8s.ns.name', 'k8s.pod.name']);
    assert.match(alert.output, / terminal=34816 exe_flags=\S+$/);
    assert.doesNotMatch(alert.output, /web-7d9f8b6c5/);
  });

  it('append_output: [] turns the default off; an explicit list replaces it', async () => {
    const [bare] = await alertsUnder({ append_output: [] });
    assert.equal(bare!.output_fields['k8s.pod.name'], undefined);
    const [own] = await alertsUnder({ append_output: [{ match: { tags: ['shell'] }, extra_fields: ['k8s.pod.name'] }] });
    assert.equal(own!.output_fields['k8s.pod.name'], 'web-7d9f8b6c5-x1q2z');
    assert.equal(own!.output_fields['container.id'], undefined);
  });

  it('a bad append_output entry fails the config, naming the entry', () => {
    assert.throws(() => parseEvaluationConfig({ append_output: [{ extra_fields: ['k8s.pod.nmae'] }] }), /'append_output\[0\]\.extra_fields\[0\]'/);
  });
});
