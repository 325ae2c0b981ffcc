import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findStage, nextBatchStage, parsePipeline } from '../src/pipeline.ts';
import { ConfigError } from '../src/errors.ts';

test('default pipeline: capture → enrichment → evaluation, output consumes alerts', () => {
  const p = parsePipeline(undefined, undefined);
  assert.deepEqual(p.map((e) => [e.name, e.module, e.kind]), [
    ['capture', '@peregrine/capture', 'batch'],
    ['enrichment', '@peregrine/enrichment', 'batch'],
    ['evaluation', '@peregrine/evaluation', 'batch'],
    ['output', '@peregrine/output', 'alert'],
  ]);
  assert.equal(nextBatchStage(p, 'capture'), 'enrichment');
  assert.equal(nextBatchStage(p, 'enrichment'), 'evaluation');
  assert.equal(nextBatchStage(p, 'evaluation'), undefined);
});

test('a user stage between enrichment and evaluation is wired in by the runtime', () => {
  const p = parsePipeline(['capture', 'enrichment', { name: 'redact', module: './redact.ts' }, 'evaluation', 'output'], 'p.yaml');
  assert.equal(nextBatchStage(p, 'enrichment'), 'redact');
  assert.equal(nextBatchStage(p, 'redact'), 'evaluation');
  assert.equal(findStage(p, 'redact', 'p.yaml').module, './redact.ts');
  assert.equal(findStage(p, 'output', 'p.yaml').kind, 'alert');
});

test('pipeline errors name the entry', () => {
  const cases: Array<[unknown, string]> = [
    [['capture', 'filter'], 'pipeline[1]'],
    [[{ name: 'x y', module: 'm' }], 'pipeline[0].name'],
    [[{ name: 'x' }], 'pipeline[0].module'],
    [[{ name: 'x', module: 'm', kind: 'source' }], 'pipeline[0].kind'],
    [['capture', 'capture'], 'pipeline'],
    ['capture', 'pipeline'],
  ];
  for (const [raw, key] of cases) assert.throws(() => parsePipeline(raw, 'p.yaml'), (e: unknown) => e instanceof ConfigError && e.key === key, JSON.stringify(raw));
  assert.throws(() => findStage(parsePipeline(undefined, 'p.yaml'), 'nope', 'p.yaml'), /unknown stage 'nope'/);
});
