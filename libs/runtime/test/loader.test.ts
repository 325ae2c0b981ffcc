import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadStage } from '../src/loader.ts';
import { StageLoadError } from '../src/errors.ts';

const dir = new URL('./fixtures/', import.meta.url).pathname;

test('a user stage module loads by path relative to the config directory', async () => {
  const stage = await loadStage({ name: 'upper', module: './upper.ts', kind: 'batch' }, dir);
  assert.equal(stage.kind, 'batch');
  assert.equal(stage.name, 'upper');
});

test('missing module, no default export and a wrong stage shape are clear errors naming stage and module', async () => {
  const cases: Array<[string, RegExp]> = [
    ['./missing.ts', /stage 'x' \(module \.\/missing\.ts\): module not found/],
    ['@peregrine/no-such-package', /module not found/],
    ['./no-default.ts', /has no default export StageFactory/],
    ['./bad-kind.ts', /kind 'stream'/],
  ];
  for (const [module, re] of cases) {
    await assert.rejects(loadStage({ name: 'x', module, kind: 'batch' }, dir), (e: unknown) => e instanceof StageLoadError && e.module === module && re.test(e.message), module);
  }
});
