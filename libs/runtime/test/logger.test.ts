import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogRateLimiter, createLogger } from '../src/logger.ts';

test('rate limiter: once per interval per key, with the count suppressed in between', () => {
  let now = 1000;
  const rl = new LogRateLimiter(10_000, () => now);
  assert.deepEqual(rl.check('a'), { log: true, suppressed: 0 });
  assert.equal(rl.check('a').log, false);
  assert.equal(rl.check('a').log, false);
  assert.equal(rl.check('b').log, true, 'keys are independent');
  now += 10_000;
  assert.deepEqual(rl.check('a'), { log: true, suppressed: 2 });
});

test('logger writes JSON lines with bound fields and drops levels below the minimum', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', fields: { node: 'n1' }, sink: { write: (l) => { lines.push(l); } } }).child({ stage: 'enrichment' });
  log.debug('hidden');
  log.warn('bad input dropped', { bytes: 12, big: 5n });
  assert.equal(lines.length, 1);
  const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(rec.level, 'warn');
  assert.equal(rec.node, 'n1');
  assert.equal(rec.stage, 'enrichment');
  assert.equal(rec.msg, 'bad input dropped');
  assert.equal(rec.big, '5');
});
