/**
 * One check compiled to a predicate. Literals are parsed for the field's type once, here; the predicate only reads
 * the field and compares. A field with no value fails every check, `!=` included, as in libsinsp.
 */
import type { FieldType, Value } from '../fields/types.ts';
import type { BinaryOperator, Modifier } from './ast.ts';
import { globToRegExp } from './glob.ts';
import { formatIp, netContains, parseIp, parseNet, type IpNet } from './ip.ts';
import type { Operand } from './operand.ts';
import type { Plan, Predicate } from './plan.ts';
import { PathPrefixSet } from './prefix-trie.ts';

export type Test = (v: NonNullable<Value>) => boolean;

/** Which operators each type takes (besides `exists`, which every field takes). */
const OPERATORS: Record<FieldType, ReadonlySet<BinaryOperator>> = {
  string: new Set<BinaryOperator>([
    '=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith',
    'endswith', 'glob', 'iglob', 'regex', 'in', 'intersects', 'pmatch',
  ]),
  number: new Set<BinaryOperator>(['=', '==', '!=', '<', '<=', '>', '>=', 'in', 'intersects']),
  time: new Set<BinaryOperator>(['=', '==', '!=', '<', '<=', '>', '>=', 'in', 'intersects']),
  bool: new Set<BinaryOperator>(['=', '==', '!=', 'in', 'intersects']),
  ip: new Set<BinaryOperator>(['=', '==', '!=', 'in', 'intersects']),
  net: new Set<BinaryOperator>(['=', '==', '!=', 'in', 'intersects']),
};

/** Below this many paths a scan beats the path trie (filter-prefix.bench.ts). */
const PATH_TRIE_MIN = 8;

export function operatorAllowed(type: FieldType, op: BinaryOperator): boolean {
  return OPERATORS[type].has(op);
}

/** Runs `test` on the operand's value, or on each of its values. */
function testOperand(left: Operand, test: Test): Predicate {
  const { get, nth } = left;
  if (!nth) {
    return (b, e) => {
      const v = get(b, e);
      return v !== null && test(v);
    };
  }
  return (b, e) => {
    for (let i = 0; ; i++) {
      const v = nth(b, e, i);
      if (v === undefined) return false;
      if (v !== null && test(v)) return true;
    }
  };
}

/** A check as a plan node: a single-valued field with a literal test stays visible to the code generator. */
export function checkPlan(left: Operand, test: Test): Plan {
  return left.nth ? { kind: 'pred', pred: testOperand(left, test) } : { kind: 'test', get: left.get, test };
}

export function existsCheck(left: Operand): Plan {
  return checkPlan(left, () => true);
}

function parseNumber(text: string): number | bigint {
  const t = text.trim();
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return Number(t.startsWith('-') ? -Number(t.slice(1)) : Number(t.replace('+', '')));
  if (/^[+-]?[0-9]+$/.test(t)) {
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : BigInt(t);
  }
  if (/^[+-]?[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?$/.test(t)) return Number(t);
  throw new Error(`'${text}' is not a number`);
}

function parseBool(text: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new Error(`'${text}' is not a boolean (true or false)`);
}

/** `bcontains CAFE` and `bstartswith`: the literal is hex bytes, compared with the value's bytes (latin1). */
function parseHexBytes(text: string): string {
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new Error(`'${text}' is not a hex byte string`);
  return Buffer.from(text, 'hex').toString('latin1');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function compileRegex(text: string): RegExp {
  try {
    // RE2 full match, as libsinsp's `regex`
    return new RegExp(`^(?:${text})$`);
  } catch {
    throw new Error(`'${text}' is not a valid regular expression`);
  }
}

/** A check against literal values: one value, or the expanded list for in/intersects/pmatch. */
export function literalCheck(left: Operand, op: BinaryOperator, values: readonly string[]): Plan {
  return checkPlan(left, literalTest(left.type, op, values));
}

/**
 * A string operator with a list modifier, as sugar: the check against each value, joined by `or` (anyof) or
 * `and` (allof), or true when exactly one holds (oneof). `= anyof` is `in`.
 */
export function modifierCheck(left: Operand, op: BinaryOperator, modifier: Modifier, values: readonly string[]): Plan {
  if (modifier === 'anyof' && (op === '=' || op === '==')) return checkPlan(left, literalTest(left.type, 'in', values));
  const tests = values.map((v) => literalTest(left.type, op, [v]));
  switch (modifier) {
    case 'anyof':
      return checkPlan(left, anyTest(tests));
    case 'allof':
      return checkPlan(left, (v) => {
        for (let i = 0; i < tests.length; i++) if (!tests[i]!(v)) return false;
        return true;
      });
    case 'oneof':
      return checkPlan(left, (v) => {
        let n = 0;
        for (let i = 0; i < tests.length && n < 2; i++) if (tests[i]!(v)) n++;
        return n === 1;
      });
  }
}

/** Loops, not `some()`: a callback capturing the value would allocate on every event. */
function anyTest(tests: readonly Test[]): Test {
  return (v) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(v)) return true;
    return false;
  };
}

function literalTest(type: FieldType, op: BinaryOperator, values: readonly string[]): Test {
  const listOp = op === 'in' || op === 'intersects' || op === 'pmatch';
  if (!listOp && values.length !== 1) throw new Error(`operator '${op}' takes one value`);
  const one = values[0]!;
  switch (type) {
    case 'string':
      return stringTest(op, values, one);
    case 'number':
    case 'time': {
      if (listOp) {
        const set = new Set(values.map((v) => Number(parseNumber(v))));
        return (v) => set.has(Number(v));
      }
      return numberTest(op, parseNumber(one));
    }
    case 'bool': {
      if (listOp) {
        const set = new Set(values.map(parseBool));
        return (v) => set.has(v as boolean);
      }
      const b = parseBool(one);
      return op === '!=' ? (v) => v !== b : (v) => v === b;
    }
    case 'ip':
    case 'net': {
      const tests = values.map((text) => ipTest(type, text));
      const any: Test = tests.length === 1 ? tests[0]! : anyTest(tests);
      return op === '!=' ? (v) => !any(v) : any;
    }
  }
}

/** An IP literal compares as text (records carry canonical text); a network literal tests membership. */
function ipTest(type: FieldType, text: string): Test {
  if (type === 'net' || text.includes('/')) {
    const net: IpNet | null = parseNet(text);
    if (!net) throw new Error(`'${text}' is not an IP network`);
    return (v) => netContains(net, v as string);
  }
  const ip = parseIp(text);
  if (!ip) throw new Error(`'${text}' is not an IP address`);
  const canonical = formatIp(ip);
  return (v) => v === canonical;
}

function numberTest(op: BinaryOperator, n: number | bigint): Test {
  // loose comparison on purpose: values may be number or bigint (ns times, 64-bit args)
  switch (op) {
    case '=':
    case '==':
      // eslint-disable-next-line eqeqeq
      return (v) => v == n;
    case '!=':
      // eslint-disable-next-line eqeqeq
      return (v) => v != n;
    case '<':
      return (v) => (v as number) < n;
    case '<=':
      return (v) => (v as number) <= n;
    case '>':
      return (v) => (v as number) > n;
    case '>=':
      return (v) => (v as number) >= n;
    default:
      throw new Error(`operator '${op}' does not apply to numbers`);
  }
}

function stringTest(op: BinaryOperator, values: readonly string[], s: string): Test {
  switch (op) {
    case '=':
    case '==':
      return (v) => v === s;
    case '!=':
      return (v) => v !== s;
    case '<':
      return (v) => (v as string) < s;
    case '<=':
      return (v) => (v as string) <= s;
    case '>':
      return (v) => (v as string) > s;
    case '>=':
      return (v) => (v as string) >= s;
    case 'contains':
      return (v) => (v as string).includes(s);
    case 'icontains': {
      const re = new RegExp(escapeRegExp(s), 'i');
      return (v) => re.test(v as string);
    }
    case 'bcontains': {
      const bytes = parseHexBytes(s);
      return (v) => (v as string).includes(bytes);
    }
    case 'startswith':
      return (v) => (v as string).startsWith(s);
    case 'bstartswith': {
      const bytes = parseHexBytes(s);
      return (v) => (v as string).startsWith(bytes);
    }
    case 'endswith':
      return (v) => (v as string).endsWith(s);
    case 'glob':
    case 'iglob': {
      const re = globToRegExp(s, op === 'iglob');
      return (v) => re.test(v as string);
    }
    case 'regex': {
      const re = compileRegex(s);
      return (v) => re.test(v as string);
    }
    case 'in':
    case 'intersects': {
      if (values.length === 1) return (v) => v === s;
      const set = new Set(values);
      return (v) => set.has(v as string);
    }
    case 'pmatch': {
      if (values.length >= PATH_TRIE_MIN) {
        const trie = new PathPrefixSet(values);
        return (v) => trie.matches(v as string);
      }
      const dirs = values.map((p) => p.replace(/\/+$/, ''));
      if (dirs.includes('')) return () => true;
      const below = dirs.map((d) => `${d}/`);
      return (v) => {
        for (let i = 0; i < dirs.length; i++) if (v === dirs[i] || (v as string).startsWith(below[i]!)) return true;
        return false;
      };
    }
  }
}

/** `proc.name = val(proc.pname)`, `fd.name startswith tolower(...)`: both sides read from the event. */
export function fieldCheck(left: Operand, op: BinaryOperator, right: Operand): Plan {
  const cmp = pairTest(op);
  const rget = right.get;
  if (!left.nth) {
    const lget = left.get;
    return { kind: 'pred', pred: (b, e) => {
      const l = lget(b, e);
      if (l === null) return false;
      const r = rget(b, e);
      return r !== null && cmp(l, r);
    } };
  }
  const nth = left.nth;
  return { kind: 'pred', pred: (b, e) => {
    const r = rget(b, e);
    if (r === null) return false;
    for (let i = 0; ; i++) {
      const l = nth(b, e, i);
      if (l === undefined) return false;
      if (l !== null && cmp(l, r)) return true;
    }
  } };
}

function pairTest(op: BinaryOperator): (l: NonNullable<Value>, r: NonNullable<Value>) => boolean {
  const str = (x: NonNullable<Value>) => (typeof x === 'string' ? x : String(x));
  switch (op) {
    case '=':
    case '==':
    case 'in':
    case 'intersects':
      // eslint-disable-next-line eqeqeq
      return (l, r) => l == r;
    case '!=':
      // eslint-disable-next-line eqeqeq
      return (l, r) => l != r;
    case '<':
      return (l, r) => l < r;
    case '<=':
      return (l, r) => l <= r;
    case '>':
      return (l, r) => l > r;
    case '>=':
      return (l, r) => l >= r;
    case 'contains':
    case 'bcontains':
      return (l, r) => str(l).includes(str(r));
    case 'icontains':
      return (l, r) => str(l).toLowerCase().includes(str(r).toLowerCase());
    case 'startswith':
    case 'bstartswith':
      return (l, r) => str(l).startsWith(str(r));
    case 'endswith':
      return (l, r) => str(l).endsWith(str(r));
    case 'glob':
    case 'iglob':
      return (l, r) => globToRegExp(str(r), op === 'iglob').test(str(l));
    case 'regex':
      return (l, r) => compileRegex(str(r)).test(str(l));
    case 'pmatch':
      return (l, r) => new PathPrefixSet([str(r)]).matches(str(l));
  }
}
