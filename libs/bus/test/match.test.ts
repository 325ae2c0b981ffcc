import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subjectMatches } from '../src/match.ts';

test('subject filters: * is one token, > one or more at the end', () => {
  const table: Array<[string, string, boolean]> = [
    ['events.raw.*', 'events.raw.node-a', true],
    ['events.raw.*', 'events.raw', false],
    ['events.raw.*', 'events.raw.a.b', false],
    ['falco.>', 'falco.notice.some_rule', true],
    ['falco.>', 'falco', false],
    ['events.>', 'events.stage.redact.node-a', true],
    ['peregrine.trace.keep', 'peregrine.trace.keep', true],
    ['peregrine.trace.keep', 'peregrine.trace.keeps', false],
  ];
  for (const [f, s, want] of table) assert.equal(subjectMatches(f, s), want, `${f} ~ ${s}`);
});
