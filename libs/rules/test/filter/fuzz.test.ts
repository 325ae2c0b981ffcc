/**
 * Property: any text, parsed and compiled, either gives a filter that evaluates without throwing on every fixture
 * event, or fails with one of our typed errors. 100k cases: random token soups and mutations of real conditions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileCondition, type CompileEnv } from '../../src/filter/compiler.ts';
import { FilterCompileError, FilterSyntaxError } from '../../src/filter/errors.ts';
import { parseCondition } from '../../src/filter/parser.ts';
import { BATCH } from './fixture.ts';

const ENV: CompileEnv = {
  macros: new Map([
    ['shell', parseCondition('proc.name in (shells)')],
    ['opened', parseCondition('evt.type in (open, openat) and evt.is_open_read = true')],
  ]),
  lists: new Map([['shells', ['bash', 'sh', '"z sh"']], ['nested', ['shells', 'x']]]),
};

const SEEDS = [
  'evt.type in (open, openat) and proc.name = bash and not fd.name startswith /tmp',
  'shell and proc.tty != 0 and container.id != host',
  'fd.net = 10.0.0.0/8 or fd.sip in (1.2.3.4, "::1") or fd.port in (80, 443)',
  'proc.aname[2] in (nested) and proc.env[HOME] exists and k8s.pod.label[app] glob "w*"',
  "tolower(basename(proc.exepath)) = val(proc.name) and len(proc.cmdline) > 0x10 and evt.arg.flags contains 'O_TRUNC'",
  'not (proc.pid <= -1 or proc.pid >= 1e+3) and fd.name pmatch (/etc, /usr) and fd.name regex "a.*b"',
  'proc.cmdline icontains "a \\"b\\" c" and fd.name bcontains 2f6574 and user.loginuid intersects (1, 2)',
];

const TOKENS = [
  'and', 'or', 'not', 'not(', '(', ')', ',', '=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains',
  'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex', 'in', 'intersects', 'pmatch',
  'exists', 'val(', 'tolower(', 'toupper(', 'b64(', 'basename(', 'len(', 'proc.name', 'proc.pid', 'fd.ip', 'fd.net',
  'evt.type', 'proc.aname[2]', 'proc.aname[x]', 'proc.env[HOME]', 'evt.arg.name', 'evt.arg[0]', 'container.id',
  'evt.failed', 'shell', 'shells', 'nested', 'undefined_macro', 'bash', '"q u o"', "'x'", '"bad\\q"', '0x1f', '-3',
  '1.5e+2', '10.0.0.0/8', '::1', '[', ']', '"', "'", '\\', '\n', '\t', '%', 'true', 'false', '(((', ')))',
];

const outcomes = { compiled: 0, syntax: 0, compile: 0 };

function check(text: string): void {
  let filter;
  try {
    filter = compileCondition(parseCondition(text), ENV);
  } catch (e) {
    if (e instanceof FilterSyntaxError) outcomes.syntax++;
    else if (e instanceof FilterCompileError) outcomes.compile++;
    else throw e;
    return;
  }
  outcomes.compiled++;
  for (const ev of BATCH.events) {
    const r = filter.match(BATCH, ev);
    assert.equal(typeof r, 'boolean');
  }
}

test('50k token soups never throw anything but our typed errors', () => {
  const soup = fc.array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4 })), { maxLength: 14 })
    .chain((tokens) => fc.array(fc.constantFrom(' ', '', '  ', '\t'), { minLength: tokens.length, maxLength: tokens.length })
      .map((seps) => tokens.map((t, i) => t + seps[i]).join('')));
  fc.assert(fc.property(soup, (text) => check(text)), { numRuns: 50_000, seed: 20261128 });
});

test('50k mutations of real conditions never throw anything but our typed errors', () => {
  const mutation = fc.record({
    seed: fc.constantFrom(...SEEDS),
    edits: fc.array(
      fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'replace'), text: fc.oneof(fc.constantFrom(...TOKENS), fc.char()) }),
      { minLength: 1, maxLength: 4 },
    ),
  }).map(({ seed, edits }) => edits.reduce((s, e) => {
    const at = s.length ? e.at % s.length : 0;
    if (e.kind === 'insert') return s.slice(0, at) + e.text + s.slice(at);
    if (e.kind === 'delete') return s.slice(0, at) + s.slice(at + 1 + (e.at % 5));
    return s.slice(0, at) + e.text + s.slice(at + e.text.length);
  }, seed));
  fc.assert(fc.property(mutation, (text) => check(text)), { numRuns: 50_000, seed: 1128 });
});

test('the cases reach every outcome: compiled filters, syntax errors and compile errors', () => {
  for (const [outcome, n] of Object.entries(outcomes)) assert.ok(n > 1000, `${outcome}: ${n}`);
});
