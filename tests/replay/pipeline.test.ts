/**
 * `peregrine replay FILE --rules R`: the capture runs through the configured pipeline (enrichment, evaluation,
 * output) on the in-memory bus and the output stage prints one alert per event the rule's condition selects — as
 * many as sysdig selects with the same condition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPTURE_DIR, sysdigLines } from './sysdig.ts';

const ROOT = join(import.meta.dirname, '../..');
const CONDITION = 'evt.type=connect and evt.dir=< and proc.name=curl';

test('replay --rules: alerts for every event the condition selects, as in sysdig, through the pipeline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-rules-'));
  try {
    const rules = join(dir, 'rules.yaml');
    writeFileSync(rules, [
      '- rule: Curl connects',
      '  desc: curl opened a connection',
      `  condition: ${CONDITION}`,
      '  output: curl connected (fd=%fd.name proc=%proc.cmdline parent=%proc.pname)',
      '  priority: NOTICE',
      '  tags: [network]',
      '',
    ].join('\n'));
    const file = join(CAPTURE_DIR, 'libs-curl_google.scap');
    const r = spawnSync('npx', ['peregrine', 'replay', file, '--rules', rules], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, PEREGRINE_LOG__LEVEL: 'warn' }, timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const alerts = r.stdout.trim().split('\n').filter((l) => l.includes('curl connected'));
    const want = await sysdigLines(file, '*%evt.time|%proc.pname|%fd.name', CONDITION);
    assert.equal(alerts.length, want.length, r.stdout);
    assert.ok(alerts.length >= 3, `${alerts.length} alerts`);
    alerts.forEach((line, i) => {
      const [time, pname, ...fd] = want[i]!.split('|');
      assert.ok(line.startsWith(`${time}: Notice`), line);
      assert.ok(line.endsWith(`curl connected (fd=${fd.join('|')} proc=curl -6 http://www.google.com parent=${pname})`), line);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
