/**
 * Compiles a parsed condition to a predicate over (batch, event): a plan of checks with their literals parsed once,
 * turned into one generated function per condition (plan.ts), so the hot path is plain calls and comparisons. Macros are inlined (cycles are an error), list names inside value
 * lists are expanded (recursively, mixed with literals), and the event types the condition can match are computed.
 */
import type { EventBatch, SyscallEvent } from '@peregrine/event';
import type { Value } from '../fields/types.ts';
import { EVENT_TYPES } from '@peregrine/event';
import type { BinaryCheck, Expr, Pos, RightValue, ValueExpr } from './ast.ts';
import { checkPlan, existsCheck, fieldCheck, literalCheck, modifierCheck, operatorAllowed } from './checks.ts';
import { StringPrefixSet } from './prefix-trie.ts';
import { generate, type Plan } from './plan.ts';
import { FieldError, FilterCompileError, type Origin } from './errors.ts';
import { eventTypesOf } from './evttypes.ts';
import { compileOperand, type Operand } from './operand.ts';
import { SOURCES } from './parser.ts';
import { unescapeQuoted } from './escaping.ts';
import { hostResolver, type HostAddresses, type HostResolver } from './host-names.ts';

export interface CompileEnv {
  macros: ReadonlyMap<string, Expr>;
  /** list name → items as written; an item naming another list is expanded */
  lists: ReadonlyMap<string, readonly string[]>;
  /** unknown fields make their check never match instead of failing the compile (Falco's skip-if-unknown-filter) */
  skipUnknownFilter?: boolean;
  /** resolves the host names of `fd.sip.name = NAME` checks; the process-wide one when absent */
  hostResolver?: HostResolver;
}

export interface CompiledFilter {
  match(batch: EventBatch, ev: SyscallEvent): boolean;
  /** the evt.type names the condition can match; null when it is not gated on evt.type (Falco warns) */
  eventTypes: ReadonlySet<string> | null;
  usedMacros: ReadonlySet<string>;
  usedLists: ReadonlySet<string>;
}

const NEVER: Plan = { kind: 'never' };
/** `fd.sip.name = NAME`: the address field whose value is checked against NAME's addresses. */
const HOST_NAME_FIELDS: ReadonlyMap<string, string> = new Map([
  ['fd.sip.name', 'fd.sip'], ['fd.cip.name', 'fd.cip'], ['fd.lip.name', 'fd.lip'], ['fd.rip.name', 'fd.rip'],
]);
const HOST_NAME_OPS = new Set(['=', '==', 'in', 'intersects', '!=']);
const LIST_OPS = new Set(['in', 'intersects', 'pmatch']);
/** From this many `startswith` alternatives on one field a trie beats checking each (filter-prefix.bench.ts). */
const PREFIX_TRIE_MIN = 8;

interface Source {
  text: string;
  origin: Origin | undefined;
}

class Compiler {
  readonly usedMacros = new Set<string>();
  readonly usedLists = new Set<string>();
  private readonly macroStack: string[] = [];
  private source: Source;

  constructor(
    private readonly env: CompileEnv,
    root: Expr,
  ) {
    this.source = SOURCES.get(root) ?? { text: '', origin: undefined };
  }

  compile(expr: Expr): Plan {
    switch (expr.kind) {
      case 'and':
        return { kind: 'and', children: expr.children.map((c) => this.compile(c)) };
      case 'or':
        return { kind: 'or', children: this.compileAlternatives(expr.children) };
      case 'not':
        return { kind: 'not', child: this.compile(expr.child) };
      case 'macro':
        return this.compileMacro(expr.name, expr.pos);
      case 'unary':
        return this.withOperand(expr.left, expr.pos, (left) => existsCheck(left));
      case 'binary':
        return this.compileBinary(expr);
    }
  }

  /**
   * `x startswith a or x startswith b or …`: many prefixes of one field become one walk down a prefix trie
   * instead of one check per prefix.
   */
  private compileAlternatives(children: Expr[]): Plan[] {
    const groups = new Map<string, BinaryCheck[]>();
    for (const c of children) {
      if (c.kind !== 'binary' || c.op !== 'startswith' || c.modifier || c.left.kind !== 'field' || c.right.kind !== 'value') continue;
      const key = `${c.left.name}[${c.left.arg ?? ''}]`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const merged = new Map<Expr, Plan | null>();
    for (const group of groups.values()) {
      if (group.length < PREFIX_TRIE_MIN) continue;
      const first = group[0]!;
      const plan = this.withOperand(first.left, first.pos, (left) => {
        if (!operatorAllowed(left.type, 'startswith')) return this.compileBinary(first);
        const trie = new StringPrefixSet(group.map((c) => (c.right as ValueExpr).value));
        return checkPlan(left, (v) => trie.matches(v as string));
      });
      merged.set(first, plan);
      for (const c of group.slice(1)) merged.set(c, null);
    }
    const out: Plan[] = [];
    for (const c of children) {
      const m = merged.get(c);
      if (m === undefined) out.push(this.compile(c));
      else if (m !== null) out.push(m);
    }
    return out;
  }

  private compileMacro(name: string, pos: Pos): Plan {
    const body = this.env.macros.get(name);
    if (!body) throw this.error(`undefined macro '${name}' used in filter`, pos, name);
    if (this.macroStack.includes(name)) {
      throw this.error(`macro '${name}' refers to itself: ${[...this.macroStack, name].join(' -> ')}`, pos, name);
    }
    this.usedMacros.add(name);
    const outer = this.source;
    this.source = SOURCES.get(body) ?? outer;
    this.macroStack.push(name);
    try {
      return this.compile(body);
    } finally {
      this.macroStack.pop();
      this.source = outer;
    }
  }

  private compileBinary(expr: BinaryCheck): Plan {
    const byType = this.eventTypeTable(expr);
    if (byType) return byType;
    const byHost = this.hostNameCheck(expr);
    if (byHost) return byHost;
    return this.withOperand(expr.left, expr.pos, (left) => {
      if (!operatorAllowed(left.type, expr.op)) {
        throw this.error(
          `operator '${expr.op}' not supported by field '${left.display}' of type ${left.type}`, expr.pos, left.display,
        );
      }
      const right = expr.right;
      if (right.kind === 'val' || right.kind === 'transformer') {
        const other = this.operand(right.kind === 'val' ? right.field : right, right.pos);
        if (!other) return NEVER;
        // as libsinsp: both sides must have the same type, and be lists or not alike
        if (other.type !== left.type || (other.nth === null) !== (left.nth === null)) {
          const kind = (o: Operand) => `${o.type}${o.nth ? ' (list)' : ''}`;
          throw this.error(
            `field '${left.display}' has type '${kind(left)}' while the right-hand side field '${other.display}' has incompatible type '${kind(other)}'`,
            right.pos, left.display,
          );
        }
        return fieldCheck(left, expr.op, other);
      }
      const values = this.values(expr.modifier ? 'in' : expr.op, right);
      try {
        return expr.modifier ? modifierCheck(left, expr.op, expr.modifier, values) : literalCheck(left, expr.op, values);
      } catch (e) {
        if (e instanceof FilterCompileError) throw e;
        throw this.error(`${(e as Error).message} for field '${left.display}'`, right.pos, left.display);
      }
    });
  }

  /** `evt.type = x`, `in`, `!=`: the answer for every event type code, computed once. */
  private eventTypeTable(expr: BinaryCheck): Plan | null {
    const { left, right, op, modifier } = expr;
    if (left.kind !== 'field' || left.name !== 'evt.type' || left.arg !== null) return null;
    if (right.kind !== 'value' && right.kind !== 'list') return null;
    const equal = op === '=' || op === '==' || ((op === 'in' || op === 'intersects') && !modifier);
    const notEqual = op === '!=' && !modifier;
    if (!(equal && (!modifier || modifier === 'anyof')) && !notEqual) return null;
    const names = new Set(this.values(modifier || !equal ? 'in' : op, right));
    if (!equal && names.size !== 1) return null;
    const table = new Uint8Array(EVENT_TYPES.length);
    for (const t of EVENT_TYPES) table[t.code] = names.has(t.name) === equal ? 1 : 0;
    return { kind: 'types', table };
  }

  /**
   * `fd.sip.name = NAME`, `in`, `!=`: as libsinsp, the names are resolved forward (in the background, see
   * host-names.ts) and the fd's address is compared with their current addresses. Other operators read the field.
   */
  private hostNameCheck(expr: BinaryCheck): Plan | null {
    const { left, right, op, modifier } = expr;
    if (left.kind !== 'field' || left.arg !== null || modifier || !HOST_NAME_OPS.has(op)) return null;
    const ipField = HOST_NAME_FIELDS.get(left.name);
    if (!ipField || (right.kind !== 'value' && right.kind !== 'list')) return null;
    const resolver = this.env.hostResolver ?? hostResolver;
    const hosts: HostAddresses[] = this.values(op, right).map((name) => resolver.watch(name));
    return this.withOperand({ ...left, name: ipField }, expr.pos, (ip) => {
      const resolved = (v: NonNullable<Value>) => {
        for (let i = 0; i < hosts.length; i++) if (hosts[i]!.addresses.has(v as string)) return true;
        return false;
      };
      return checkPlan(ip, op === '!=' ? (v) => !resolved(v) : resolved);
    });
  }

  /** Resolves the left side, turning a field error into a positioned one (or a never-matching check). */
  private withOperand(expr: BinaryCheck['left'], pos: Pos, build: (left: Operand) => Plan): Plan {
    const left = this.operand(expr, pos);
    return left ? build(left) : NEVER;
  }

  private operand(expr: BinaryCheck['left'], pos: Pos): Operand | null {
    try {
      return compileOperand(expr);
    } catch (e) {
      if (e instanceof FieldError) {
        if (this.env.skipUnknownFilter) return null;
        throw this.error(e.reason, pos, e.field);
      }
      throw this.error((e as Error).message, pos, expr.kind === 'field' ? expr.name : expr.name);
    }
  }

  /** The literal values of a check: list names expanded after list operators. */
  values(op: string, right: ValueExpr | Exclude<RightValue, ValueExpr>): string[] {
    if (right.kind === 'value') {
      return LIST_OPS.has(op) ? this.expandItem(right.value, right.pos, []) : [right.value];
    }
    if (right.kind !== 'list') return [];
    const out: string[] = [];
    for (const item of right.items) out.push(...this.expandItem(item.value, item.pos, []));
    return out;
  }

  private expandItem(item: string, pos: Pos, stack: string[]): string[] {
    const list = this.env.lists.get(item);
    if (!list) return [unquoteListItem(item)];
    if (stack.includes(item)) throw this.error(`list '${item}' refers to itself: ${[...stack, item].join(' -> ')}`, pos, item);
    this.usedLists.add(item);
    const out: string[] = [];
    // YAML lists may hold numbers (ports): they are literals like any other
    for (const v of list) out.push(...this.expandItem(String(v), pos, [...stack, item]));
    return out;
  }

  private error(reason: string, pos: Pos, subject: string): FilterCompileError {
    return new FilterCompileError(reason, this.source.text, pos, this.source.origin, subject);
  }

  eventTypes(root: Expr): ReadonlySet<string> | null {
    const set = eventTypesOf(
      root,
      (name) => this.env.macros.get(name),
      (check) => (check.right.kind === 'value' || check.right.kind === 'list' ? this.values(check.modifier ? 'in' : check.op, check.right) : null),
    );
    return set.only ? set.names : null;
  }
}

/** A list item written in quotes ("a b") is the text inside, as if it had been written in the condition. */
function unquoteListItem(item: string): string {
  const q = item[0];
  if ((q === '"' || q === "'") && item.length >= 2 && item[item.length - 1] === q) {
    try {
      return unescapeQuoted(item);
    } catch {
      return item;
    }
  }
  return item;
}

/**
 * Compiles a parsed condition. Throws FilterCompileError (unknown field, macro; operator the field cannot take;
 * a value that does not parse for the field's type; a macro or list cycle), positioned in the text it came from.
 */
export function compileCondition(expr: Expr, env: CompileEnv): CompiledFilter {
  const c = new Compiler(env, expr);
  const match = generate(c.compile(expr));
  return { match, eventTypes: c.eventTypes(expr), usedMacros: c.usedMacros, usedLists: c.usedLists };
}
