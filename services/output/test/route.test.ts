import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert } from '@peregrine/event';
import { compileRoute, readRoute } from '../src/route.ts';
import { OutputConfigError } from '../src/errors.ts';

const alert = (over: Partial<Alert> & { ns?: string | null } = {}): Alert => {
  const { ns = 'prod', ...rest } = over;
  return { uuid: 'u', time: '2026-11-28T10:00:00.000000000Z', rule: 'R1', priority: 'Warning', source: 'syscall', hostname: 'h', output: 'o',
    tags: ['a', 'b'], output_fields: ns === null ? {} : { 'k8s.ns.name': ns }, ...rest };
};
const route = (d: Record<string, unknown>) => compileRoute(readRoute(d, 'd'));

test('minimum priority: at least as severe passes, less severe does not, unknown priorities pass', () => {
  const r = route({ minimumPriority: 'warning' });
  assert.equal(r(alert({ priority: 'Critical' })), true);
  assert.equal(r(alert({ priority: 'Warning' })), true);
  assert.equal(r(alert({ priority: 'Notice' })), false);
  assert.equal(r(alert({ priority: 'Bogus' })), true);
});

test('allow-lists: rule names, any tag, namespaces (alerts without one do not match), sources', () => {
  assert.equal(route({ route: { rules: ['R1'] } })(alert()), true);
  assert.equal(route({ route: { rules: ['R2'] } })(alert()), false);
  assert.equal(route({ route: { tags: ['x', 'b'] } })(alert()), true);
  assert.equal(route({ route: { tags: ['x'] } })(alert()), false);
  assert.equal(route({ route: { namespaces: ['prod'] } })(alert()), true);
  assert.equal(route({ route: { namespaces: ['prod'] } })(alert({ ns: null })), false);
  assert.equal(route({ route: { sources: 'k8s_audit, syscall' } })(alert()), true);
  assert.equal(route({ route: { sources: ['k8s_audit'] } })(alert()), false);
});

test('deny-lists win over allow-lists', () => {
  const r = route({ route: { tags: ['a'], except: { namespaces: ['kube-system'], rules: ['Noisy'], tags: ['b'] } } });
  assert.equal(r(alert({ tags: ['a'] })), true);
  assert.equal(r(alert({ tags: ['a'], ns: 'kube-system' })), false);
  assert.equal(r(alert({ tags: ['a'], rule: 'Noisy' })), false);
  assert.equal(r(alert({ tags: ['a', 'b'] })), false);
});

test('bad route config names the key', () => {
  assert.throws(() => route({ minimumPriority: 'loud' }), (e: unknown) => e instanceof OutputConfigError && e.path === 'd.minimumPriority');
  assert.throws(() => route({ route: { tags: [1] } }), (e: unknown) => e instanceof OutputConfigError && e.path === 'd.route.tags');
  assert.throws(() => route({ route: 'all' }), (e: unknown) => e instanceof OutputConfigError && e.path === 'd.route');
});
