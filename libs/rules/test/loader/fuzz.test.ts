/**
 * Mutated rules files never make the loader throw: every outcome is a ruleset or diagnostics, and every
 * diagnostic points inside the file it names.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkRules } from '../../src/index.ts';

const SEED = `- required_engine_version: 0.57.0
- list: shells
  items: [bash, "sh", 'zsh']
- macro: spawned
  condition: evt.type in (execve, execveat) and evt.dir = <
- rule: Shell in container
  desc: a shell
  condition: >
    spawned and container.id != host
      and proc.name in (shells) and not proc.pname in (shells)
  output: shell %proc.name (pod=%k8s.pod.name tty=%proc.tty)
  priority: NOTICE
  tags: [container, shell]
  exceptions:
    - name: known
      fields: [proc.name, proc.pname]
      values: [[bash, sshd]]
- rule: Shell in container
  condition: and proc.tty != 0
  override:
    condition: append
`;

/** One edit: delete a span, insert a YAML/condition-significant snippet, or duplicate a line. */
const edit = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(':', '- ', '\n', '  ', '(', ')', '"', "'", '[', ']', ',', ' and ', ' or ', ' not ', '%', '{', '}', '|', '>', '#', 'override:', 'append', '\t', '\\'),
  }),
  fc.record({ kind: fc.constant('dupline' as const), at: fc.nat() }),
);

function apply(text: string, edits: { kind: string; at: number; len?: number; text?: string }[]): string {
  let s = text;
  for (const e of edits) {
    const at = s.length === 0 ? 0 : e.at % (s.length + 1);
    if (e.kind === 'delete') s = s.slice(0, at) + s.slice(at + (e.len ?? 1));
    else if (e.kind === 'insert') s = s.slice(0, at) + e.text + s.slice(at);
    else {
      const start = s.lastIndexOf('\n', at - 1) + 1;
      const end = s.indexOf('\n', at);
      const line = s.slice(start, end < 0 ? undefined : end + 1);
      s = s.slice(0, start) + line + s.slice(start);
    }
  }
  return s;
}

describe('loader fuzz', () => {
  it('the seed loads cleanly', () => {
    const r = checkRules([{ name: 'seed.yaml', content: SEED }]);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.ruleset!.rules.length, 1);
  });

  it('1,500 mutated files: never a throw, diagnostics always inside the file', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
        const content = apply(SEED, edits);
        const lines = content.split('\n').length;
        const { ruleset, diagnostics } = checkRules([{ name: 'm.yaml', content }]);
        const errors = diagnostics.filter((d) => d.severity === 'error');
        assert.equal(ruleset === null, errors.length > 0);
        for (const d of diagnostics) {
          assert.equal(d.position.file, 'm.yaml');
          assert.ok(d.position.line >= 1 && d.position.line <= lines, `line ${d.position.line} of ${lines}`);
          assert.ok(d.position.col >= 1);
          assert.ok(d.message.length > 0);
        }
      }),
      { numRuns: 1500, seed: 20261128 },
    );
  });
});
