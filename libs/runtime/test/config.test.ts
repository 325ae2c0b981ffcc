import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyEnvOverrides, loadConfig, stageConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

function withFile(text: string, fn: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'peregrine-cfg-'));
  try {
    const file = join(dir, 'peregrine.yaml');
    writeFileSync(file, text);
    fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('env overrides: __ separates levels, keys match ignoring case and _, values read as YAML', () => {
  const tree = applyEnvOverrides({ runtime: { maxMessageBytes: 10 }, stages: { evaluation: { rules: ['a.yaml'] } } }, {
    PEREGRINE_RUNTIME__MAX_MESSAGE_BYTES: '2048',
    PEREGRINE_STAGES__EVALUATION__RULES: '[x.yaml, y.yaml]',
    PEREGRINE_HTTP__PORT: '0',
    PEREGRINE_STAGES__OUTPUT__WEBHOOK_URL: 'http://h/x',
    PEREGRINE_TEST_NATS_URL: 'nats://ignored',
    OTHER: '1',
  });
  assert.deepEqual(tree, {
    runtime: { maxMessageBytes: 2048 },
    stages: { evaluation: { rules: ['x.yaml', 'y.yaml'] }, output: { webhookUrl: 'http://h/x' } },
    http: { port: 0 },
  });
});

test('loadConfig: file plus env, node from NODE_NAME, stage sections', () => {
  withFile('runtime: { concurrency: 8 }\nstages:\n  enrichment: { cluster: prod }\n', (file) => {
    const cfg = loadConfig(file, { NODE_NAME: 'worker-3', PEREGRINE_RUNTIME__CONCURRENCY: '2' });
    assert.equal(cfg.node, 'worker-3');
    assert.equal(cfg.runtime.concurrency, 2);
    assert.equal(cfg.runtime.maxMessageBytes, 2 ** 20);
    assert.equal(cfg.http.port, 9464);
    assert.deepEqual(stageConfig(cfg, 'enrichment'), { cluster: 'prod' });
    assert.deepEqual(stageConfig(cfg, 'evaluation'), {});
  });
});

test('config errors name the file, the key and the line', () => {
  withFile('runtime:\n  concurrency: [1\n', (file) => {
    assert.throws(() => loadConfig(file, {}), (e: unknown) => e instanceof ConfigError && e.file === file && /not valid YAML at line 3 col 1/.test(e.message));
  });
  withFile('runtime: { concurrency: 0 }\n', (file) => {
    assert.throws(() => loadConfig(file, {}), (e: unknown) => e instanceof ConfigError && e.key === 'runtime.concurrency');
  });
  withFile('http: { port: 70000 }\n', (file) => {
    assert.throws(() => loadConfig(file, {}), (e: unknown) => e instanceof ConfigError && e.key === 'http.port');
  });
  assert.throws(() => loadConfig('/nonexistent/peregrine.yaml', {}), (e: unknown) => e instanceof ConfigError && /cannot read/.test(e.message));
});
