import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertSubject, batchInput, batchInputAll, rawEvents, ruleSlug, stageInput } from '../src/subjects.ts';

test('batch stages read fixed subjects for enrichment/evaluation and events.stage.<name> for plugged-in stages', () => {
  assert.equal(batchInput('enrichment', 'node.a'), 'events.raw.node_a');
  assert.equal(batchInput('evaluation', 'n1'), 'events.enriched.n1');
  assert.equal(batchInput('redact', 'n1'), 'events.stage.redact.n1');
  assert.equal(batchInputAll('redact'), 'events.stage.redact.*');
  assert.equal(stageInput('a b', '*'), 'events.stage.a_b._');
  assert.equal(rawEvents('x'), batchInput('enrichment', 'x'));
});

test('alert subjects follow falco.<priority>.<rule_slug>', () => {
  assert.equal(alertSubject('Warning', 'Terminal shell in container'), 'falco.warning.terminal_shell_in_container');
  assert.equal(ruleSlug('--Read sensitive file (untrusted)--'), 'read_sensitive_file_untrusted');
});
