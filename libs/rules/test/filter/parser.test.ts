import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Expr, Operand, RightValue } from '../../src/filter/ast.ts';
import { FilterSyntaxError } from '../../src/filter/errors.ts';
import { parseCondition } from '../../src/filter/parser.ts';

/** A compact s-expression of the AST, so precedence tables read at a glance. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'and':
    case 'or':
      return `(${e.kind} ${e.children.map(show).join(' ')})`;
    case 'not':
      return `(not ${show(e.child)})`;
    case 'macro':
      return e.name;
    case 'unary':
      return `(${operand(e.left)} exists)`;
    case 'binary':
      return `(${operand(e.left)} ${e.op}${e.modifier ? ` ${e.modifier}` : ''} ${right(e.right)})`;
  }
}
function operand(o: Operand): string {
  return o.kind === 'field' ? (o.arg === null ? o.name : `${o.name}[${o.arg}]`) : `${o.name}(${operand(o.arg)})`;
}
function right(r: RightValue): string {
  switch (r.kind) {
    case 'value':
      return JSON.stringify(r.value);
    case 'list':
      return `[${r.items.map((i) => JSON.stringify(i.value)).join(',')}]`;
    case 'val':
      return `val(${operand(r.field)})`;
    case 'transformer':
      return operand(r);
  }
}

// condition → expected tree
const SHAPES: Array<[string, string]> = [
  ['proc.name = bash', '(proc.name = "bash")'],
  ['proc.name=bash', '(proc.name = "bash")'],
  ['proc.name == bash', '(proc.name == "bash")'],
  ['a and b or c', '(or (and a b) c)'],
  ['a or b and c', '(or a (and b c))'],
  ['a or b and c or d', '(or a (and b c) d)'],
  ['not a and b', '(and (not a) b)'],
  ['not a or not b', '(or (not a) (not b))'],
  ['not not a', 'a'],
  ['not not not a', '(not a)'],
  ['not (a or b) and c', '(and (not (or a b)) c)'],
  ['not(a)', '(not a)'],
  ['(a or b) and c', '(and (or a b) c)'],
  ['a and (b or c)', '(and a (or b c))'],
  ['a and(b or c)', '(and a (or b c))'],
  ['a or(b)', '(or a b)'],
  ['((a))', 'a'],
  ['a and b and c', '(and a b c)'],
  ['proc.aname[2] = sshd', '(proc.aname[2] = "sshd")'],
  ['proc.env[HOME] startswith /root', '(proc.env[HOME] startswith "/root")'],
  ["k8s.pod.label['app.kubernetes.io/name'] = web", '(k8s.pod.label[app.kubernetes.io/name] = "web")'],
  ['evt.arg.flags contains O_TRUNC', '(evt.arg.flags contains "O_TRUNC")'],
  ['evt.arg[0] = 3', '(evt.arg[0] = "3")'],
  ['fd.name in (/etc/passwd, "/etc/shadow", \'a b\')', '(fd.name in ["/etc/passwd","/etc/shadow","a b"])'],
  ['fd.name in ()', '(fd.name in [])'],
  ['fd.name in ( a , b )', '(fd.name in ["a","b"])'],
  ['fd.name in(a,b)', '(fd.name in ["a","b"])'],
  ['proc.name in shell_binaries', '(proc.name in "shell_binaries")'],
  ['proc.name in (shell_binaries, zsh)', '(proc.name in ["shell_binaries","zsh"])'],
  ['fd.name pmatch (/etc, /usr/bin)', '(fd.name pmatch ["/etc","/usr/bin"])'],
  ['proc.args intersects (a, b)', '(proc.args intersects ["a","b"])'],
  ['proc.name exists', '(proc.name exists)'],
  ['not proc.name exists', '(not (proc.name exists))'],
  ['proc.pid <= 0x10', '(proc.pid <= "0x10")'],
  ['proc.pid < -1', '(proc.pid < "-1")'],
  ['proc.pid >= 1.5e+3', '(proc.pid >= "1.5e+3")'],
  ['proc.pid > 3', '(proc.pid > "3")'],
  ['proc.name != bash', '(proc.name != "bash")'],
  ['tolower(proc.name) = bash', '(tolower(proc.name) = "bash")'],
  ['toupper( proc.name ) = BASH', '(toupper(proc.name) = "BASH")'],
  ['len(proc.name) > 3', '(len(proc.name) > "3")'],
  ['b64(proc.args) contains x', '(b64(proc.args) contains "x")'],
  ['basename(proc.exepath) = bash', '(basename(proc.exepath) = "bash")'],
  ['tolower(basename(proc.exepath)) = bash', '(tolower(basename(proc.exepath)) = "bash")'],
  ['proc.name = val(proc.pname)', '(proc.name = val(proc.pname))'],
  ['proc.name = val( proc.pname )', '(proc.name = val(proc.pname))'],
  ['proc.name = tolower(proc.pname)', '(proc.name = tolower(proc.pname))'],
  ['proc.pid < val(proc.ppid)', '(proc.pid < val(proc.ppid))'],
  ['proc.name in val(proc.pname)', '(proc.name in val(proc.pname))'],
  ['proc.name glob "ba*"', '(proc.name glob "ba*")'],
  ['proc.name iglob BA*', '(proc.name iglob "BA*")'],
  ['proc.name regex "ba[sh]+"', '(proc.name regex "ba[sh]+")'],
  ['evt.buffer bcontains 68656c6c6f', '(evt.buffer bcontains "68656c6c6f")'],
  ['evt.buffer bstartswith 7f454c46', '(evt.buffer bstartswith "7f454c46")'],
  ['proc.name icontains BA', '(proc.name icontains "BA")'],
  ['proc.name endswith sh', '(proc.name endswith "sh")'],
  ['proc.cmdline contains "a \\"quoted\\" word"', '(proc.cmdline contains "a \\"quoted\\" word")'],
  ["proc.cmdline contains 'it\\'s'", '(proc.cmdline contains "it\'s")'],
  ['proc.cmdline contains "tab\\there"', '(proc.cmdline contains "tab\\there")'],
  ['proc.cmdline contains "a\\\\b"', '(proc.cmdline contains "a\\\\b")'],
  ['proc.cmdline contains "a\\/b"', '(proc.cmdline contains "a/b")'],
  ["proc.name = 'double \" inside'", '(proc.name = "double \\" inside")'],
  ['proc.name = "single \' inside"', '(proc.name = "single \' inside")'],
  ['notmacro', 'notmacro'],
  ['not notmacro', '(not notmacro)'],
  ['andy or orville', '(or andy orville)'],
  ['fd.name=/tmp/x and fd.num=3', '(and (fd.name = "/tmp/x") (fd.num = "3"))'],
  ['fd.name startswith anyof (/etc, /usr)', '(fd.name startswith anyof ["/etc","/usr"])'],
  ['fd.name contains allof(a,"b c")', '(fd.name contains allof ["a","b c"])'],
  ['proc.name = oneof (bash, shell_binaries)', '(proc.name = oneof ["bash","shell_binaries"])'],
  ['proc.name != anyof ()', '(proc.name != anyof [])'],
  ['proc.name glob anyof ("*sh") and a', '(and (proc.name glob anyof ["*sh"]) a)'],
  ['proc.name = anyof', '(proc.name = "anyof")'],
  ['proc.name = anyof or a', '(or (proc.name = "anyof") a)'],
  ['evt.type in (open,openat) and not proc.name in (a, b)', '(and (evt.type in ["open","openat"]) (not (proc.name in ["a","b"])))'],
];

describe('parser: tree shapes and precedence', () => {
  for (const [cond, tree] of SHAPES) {
    test(cond, () => assert.equal(show(parseCondition(cond)), tree));
  }
});

// conditions that must parse (any tree)
const ACCEPT = [
  'a', 'a and b', 'a or b', 'not a', '(a)', 'proc.name = bash', 'proc.name in ()', "proc.name in ('')",
  'fd.name contains "(" and fd.name contains ")"', 'proc.name = ""', "proc.name = ''", 'fd.name = /a,b'.replace(',', ''),
  'k8s.pod.label.app = web', 'proc.aname = sshd', 'evt.arg.name endswith x', 'a and not b or not (c and d)',
  'proc.pid = 0XFF', 'proc.pid = +1', 'fd.num = 1.', 'evt.rawarg.res < -1e-3', 'x.y exists and z.w exists',
  'proc.name startswith "a b c"', 'proc.name bstartswith 00', 'fd.name pmatch (x)', 'fd.name in (a,"b",c)',
  'len(tolower(proc.name)) = 4', 'proc.name=val(proc.pname)', 'proc.name in (a) and(b)',
];

// conditions libsinsp rejects, with the reason we give
const REJECT: Array<[string, RegExp]> = [
  ['', /filter input string is empty/],
  ['   ', /expected a '\(' token, a field check, or an identifier/],
  ['proc.name', /expected a valid check operator/],
  ['proc.name =', /expected a string value/],
  ['proc.name = (a)', /expected a string value/],
  ['proc.name contains', /expected a valid check operator|expected a string value/],
  ['proc.name containsfoo', /expected a valid check operator/],
  ['proc.pid < abc', /expected a number value/],
  ['proc.name in a,b', /unexpected token after 'a'/],
  ['proc.name in (a b)', /expected a '\)' token/],
  ['proc.name in (a,)', /expected a string value/],
  ['proc.name in (a', /expected a '\)' token/],
  ['(a', /expected a '\)' token/],
  ['a)', /unexpected token after 'a'/],
  ['a and', /expected blank or '\(' after 'and'|expected a '\(' token, a field check, or an identifier/],
  ['a andb', /unexpected token after 'and', expecting 'or', 'and'|expected blank or '\(' after 'and'/],
  ['a orb', /expected blank or '\(' after 'or'/],
  ['a b', /unexpected token after 'a'/],
  ['not ', /expected a '\(' token, a field check, or an identifier/],
  ['proc.name = "unterminated', /expected a string value/],
  ['proc.name = "bad \\q escape"', /unsupported string escape sequence: \\q/],
  ["proc.name = \"wrong \\' escape\"", /invalid \\' escape in "-quoted string/],
  ["proc.name = 'wrong \\\" escape'", /invalid \\" escape in '-quoted string/],
  ['proc.aname[2 = x', /expected a '\]' token/],
  ['proc.aname[] = x', /expected a valid field argument/],
  ['tolower(proc.name = x', /expected a '\)' token closing the transformer/],
  ['tolower() = x', /expected a field or a nested valid transformer/],
  ['tolower(a) = x', /expected a field or a nested valid transformer/],
  ['proc.name = val(x)', /expected a field within 'val' transformer/],
  ['proc.name = val(proc.pname', /expected a '\)' token closing the transformer/],
  ['val(proc.name) = x', /expected a '\(' token, a field check, or an identifier|unexpected token/],
  ['proc.name ~ x', /expected a valid check operator/],
  ['proc.name == = x', /expected a string value/],
  ['1 = 1', /expected a '\(' token, a field check, or an identifier/],
  ['proc.name = a = b', /unexpected token after 'a'/],
  ['proc.name exists x', /unexpected token after 'exists'/],
  ['"quoted" and a', /expected a '\(' token/],
  ['_a', /expected a '\(' token/],
  // 'or' after 'and' reads as a macro named 'or', as in libsinsp
  ['a and or b', /unexpected token after 'or'/],
  ['proc.name startswith anyof (a', /expected a '\)' token/],
  ['proc.name startswith anyof (a,)', /expected a string value/],
  ['proc.name in anyof (a)', /unexpected token after 'anyof'/],
  ['proc.pid < anyof (1)', /expected a number value/],
];

/** The same condition with other blanks between tokens: tabs, newlines, carriage returns, runs of blanks. */
function whitespaceVariants(cond: string): string[] {
  return [
    cond,
    ` ${cond} `,
    cond.replaceAll(' ', '\t'),
    cond.replaceAll(' ', ' \n '),
    cond.replaceAll(' ', '\r\n'),
    `\n\t${cond}\n`,
  ];
}

/** Quoted strings keep their spaces: only blanks outside quotes vary. */
function outsideQuotes(cond: string, f: (s: string) => string): string {
  return cond.split(/("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')/).map((part, i) => (i % 2 ? part : f(part))).join('');
}

describe('parser: accepts, with whitespace variants', () => {
  for (const cond of ACCEPT) {
    test(JSON.stringify(cond), () => {
      for (const v of whitespaceVariants(cond)) {
        assert.doesNotThrow(() => parseCondition(v), `variant ${JSON.stringify(v)}`);
      }
    });
  }
  test('shapes keep their tree under whitespace variants', () => {
    for (const [cond, tree] of SHAPES) {
      for (const f of [(s: string) => s.replaceAll(' ', '\t'), (s: string) => s.replaceAll(' ', '\n  ')]) {
        const variant = outsideQuotes(cond, f);
        assert.equal(show(parseCondition(variant)), tree, JSON.stringify(variant));
      }
    }
  });
});

describe('parser: rejects, with whitespace variants', () => {
  for (const [cond, reason] of REJECT) {
    test(JSON.stringify(cond), () => {
      for (const v of cond.trim() === '' ? [cond] : whitespaceVariants(cond)) {
        assert.throws(() => parseCondition(v), (e: unknown) => {
          assert.ok(e instanceof FilterSyntaxError, `variant ${JSON.stringify(v)}: ${String(e)}`);
          assert.match(e.reason, reason, `variant ${JSON.stringify(v)}`);
          return true;
        });
      }
    });
  }
});

describe('parser: positions', () => {
  test('every node has the position where it starts', () => {
    const e = parseCondition('a and\n  not proc.name in (x, "y")');
    assert.equal(e.kind, 'and');
    if (e.kind !== 'and') return;
    assert.deepEqual(e.children[0]!.pos, { offset: 0, line: 1, col: 1 });
    const not = e.children[1]!;
    assert.deepEqual(not.pos, { offset: 8, line: 2, col: 3 });
    assert.equal(not.kind, 'not');
    if (not.kind !== 'not' || not.child.kind !== 'binary' || not.child.right.kind !== 'list') return;
    assert.deepEqual(not.child.pos, { offset: 12, line: 2, col: 7 });
    assert.deepEqual(not.child.left.pos, { offset: 12, line: 2, col: 7 });
    assert.deepEqual(not.child.right.pos, { offset: 25, line: 2, col: 20 });
    assert.deepEqual(not.child.right.items.map((i) => i.pos.col), [21, 24]);
  });

  test('errors point at the spot, in the file when an origin is given', () => {
    const cond = 'proc.name = bash and\n  fd.name in (a b)';
    assert.throws(() => parseCondition(cond, { file: 'rules.yaml', line: 12, col: 14 }), (e: unknown) => {
      assert.ok(e instanceof FilterSyntaxError);
      assert.equal(e.file, 'rules.yaml');
      assert.equal(e.line, 13);
      assert.equal(e.col, 17);
      assert.equal(e.offset, 37);
      assert.equal(e.message, "rules.yaml:13:17: expected a ')' token");
      assert.equal(e.excerpt(), '  fd.name in (a b)\n                ^');
      return true;
    });
  });

  test('errors on the first line are offset by the origin column', () => {
    assert.throws(() => parseCondition('a and', { file: 'f.yaml', line: 3, col: 14 }), (e: unknown) => {
      assert.ok(e instanceof FilterSyntaxError);
      assert.equal(e.message, "f.yaml:3:19: expected blank or '(' after 'and'");
      assert.equal(e.excerpt(), 'a and\n     ^');
      return true;
    });
  });

  test('without an origin the place is in the condition text', () => {
    assert.throws(() => parseCondition('x = 1'), (e: unknown) => {
      assert.ok(e instanceof FilterSyntaxError);
      assert.equal(e.file, undefined);
      assert.match(e.message, /^<condition>:1:3: /);
      return true;
    });
  });
});

describe('parser: depth guard', () => {
  test('100,000 opening parentheses fail with a typed error, not a stack overflow', () => {
    assert.throws(() => parseCondition('('.repeat(100_000)), (e: unknown) => {
      assert.ok(e instanceof FilterSyntaxError);
      assert.match(e.reason, /exceeded max depth limit of 1000/);
      return true;
    });
  });
  test('100,000 nots and balanced parentheses also stop at the limit', () => {
    assert.throws(() => parseCondition(`${'not ('.repeat(100_000)}a${')'.repeat(100_000)}`), FilterSyntaxError);
    assert.throws(() => parseCondition(`${'tolower('.repeat(100_000)}proc.name) = a`), FilterSyntaxError);
  });
  test('nesting that real rules use parses', () => {
    assert.equal(show(parseCondition(`${'('.repeat(150)}a${')'.repeat(150)}`)), 'a');
  });
});
