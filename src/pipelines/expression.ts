import { validationError } from '../core/errors.js';

/*
 * The condition language of pipeline steps: a small, safe expression language parsed into an AST
 * and interpreted over a JSON context. No `eval`, no access to prototypes, no side effects.
 *
 *   expr    := or
 *   or      := and (('or' | '||') and)*
 *   and     := not (('and' | '&&') not)*
 *   not     := ('not' | '!') not | cmp
 *   cmp     := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)?
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/') unary)*
 *   unary   := '-' unary | postfix
 *   postfix := primary ('.' ident | '[' expr ']')*
 *   primary := number | 'string' | "string" | true | false | null | ident | ident '(' args ')' | '(' expr ')'
 *
 * Roots are `params` and `steps`; functions are the caller's (pipelines give `registry(group,
 * alias)`). Reading a missing property gives null; an ordering comparison with null is false;
 * comparing a number with a string is an error.
 */

export type Node =
  | { kind: 'literal'; value: unknown }
  | { kind: 'ident'; name: string }
  | { kind: 'member'; object: Node; property: Node }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'unary'; op: 'not' | '-'; arg: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node };

type Token = { t: 'num'; v: number } | { t: 'str'; v: string } | { t: 'id'; v: string } | { t: 'op'; v: string } | { t: 'end' };

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '+', '-', '*', '/', '!', '(', ')', '[', ']', '.', ','];
const MAX_LENGTH = 4096;
const MAX_DEPTH = 64;

function tokenize(src: string): Token[] {
  if (src.length > MAX_LENGTH) throw validationError(`expression longer than ${MAX_LENGTH} characters`);
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) { s += src[j + 1]; j += 2; continue; }
        s += src[j++];
      }
      if (j >= src.length) throw syntax(src, i, 'unterminated string');
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw syntax(src, i, `unexpected character '${c}'`);
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  out.push({ t: 'end' });
  return out;
}

const syntax = (src: string, at: number, what: string) => validationError(`invalid expression: ${what} at position ${at + 1} of '${src}'`, { expression: src });

/** Parses an expression; throws ValidationError naming the problem. */
export function parseExpression(src: string): Node {
  const tokens = tokenize(src);
  let pos = 0;
  let depth = 0;
  const peek = () => tokens[pos];
  const isOp = (v: string) => { const t = peek(); return t.t === 'op' && t.v === v; };
  const isWord = (v: string) => { const t = peek(); return t.t === 'id' && t.v === v; };
  const fail = (what: string): never => { throw validationError(`invalid expression: ${what} in '${src}'`, { expression: src }); };
  const expect = (v: string) => { if (!isOp(v)) fail(`expected '${v}'`); pos++; };

  const or = (): Node => {
    if (++depth > MAX_DEPTH) fail('nested too deeply');
    let left = and();
    while (isWord('or') || isOp('||')) { pos++; left = { kind: 'binary', op: 'or', left, right: and() }; }
    depth--;
    return left;
  };
  const and = (): Node => {
    let left = not();
    while (isWord('and') || isOp('&&')) { pos++; left = { kind: 'binary', op: 'and', left, right: not() }; }
    return left;
  };
  const not = (): Node => {
    if (isWord('not') || isOp('!')) { pos++; return { kind: 'unary', op: 'not', arg: not() }; }
    return cmp();
  };
  const cmp = (): Node => {
    const left = sum();
    const t = peek();
    if (t.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) { pos++; return { kind: 'binary', op: t.v, left, right: sum() }; }
    return left;
  };
  const sum = (): Node => {
    let left = product();
    while (isOp('+') || isOp('-')) { const op = (tokens[pos++] as { v: string }).v; left = { kind: 'binary', op, left, right: product() }; }
    return left;
  };
  const product = (): Node => {
    let left = unary();
    while (isOp('*') || isOp('/')) { const op = (tokens[pos++] as { v: string }).v; left = { kind: 'binary', op, left, right: unary() }; }
    return left;
  };
  const unary = (): Node => {
    if (isOp('-')) { pos++; return { kind: 'unary', op: '-', arg: unary() }; }
    return postfix();
  };
  const postfix = (): Node => {
    let node = primary();
    for (;;) {
      if (isOp('.')) {
        pos++;
        const t = peek();
        if (t.t !== 'id') fail("expected a property name after '.'");
        pos++;
        node = { kind: 'member', object: node, property: { kind: 'literal', value: (t as { v: string }).v } };
      } else if (isOp('[')) {
        pos++;
        const property = or();
        expect(']');
        node = { kind: 'member', object: node, property };
      } else return node;
    }
  };
  const primary = (): Node => {
    const t = peek();
    pos++;
    if (t.t === 'num' || t.t === 'str') return { kind: 'literal', value: t.v };
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return { kind: 'literal', value: t.v === 'true' };
      if (t.v === 'null') return { kind: 'literal', value: null };
      if (['and', 'or', 'not'].includes(t.v)) fail(`unexpected '${t.v}'`);
      if (isOp('(')) {
        pos++;
        const args: Node[] = [];
        if (!isOp(')')) {
          args.push(or());
          while (isOp(',')) { pos++; args.push(or()); }
        }
        expect(')');
        return { kind: 'call', name: t.v, args };
      }
      return { kind: 'ident', name: t.v };
    }
    if (t.t === 'op' && t.v === '(') {
      const inner = or();
      expect(')');
      return inner;
    }
    return fail(t.t === 'end' ? 'unexpected end' : `unexpected '${(t as { v: unknown }).v}'`);
  };

  const ast = or();
  if (peek().t !== 'end') fail(`unexpected '${(peek() as { v: unknown }).v}' after the expression`);
  return ast;
}

/** What an expression reads: the root identifiers, the step names after `steps.`, the parameter names after `params.`, the functions. */
export function referencesOf(ast: Node): { roots: Set<string>; steps: Set<string>; params: Set<string>; functions: Set<string> } {
  const refs = { roots: new Set<string>(), steps: new Set<string>(), params: new Set<string>(), functions: new Set<string>() };
  const walk = (n: Node) => {
    switch (n.kind) {
      case 'ident': refs.roots.add(n.name); break;
      case 'member':
        if (n.object.kind === 'ident' && n.property.kind === 'literal' && typeof n.property.value === 'string') {
          if (n.object.name === 'steps') refs.steps.add(n.property.value);
          if (n.object.name === 'params') refs.params.add(n.property.value);
        }
        walk(n.object);
        walk(n.property);
        break;
      case 'call': refs.functions.add(n.name); n.args.forEach(walk); break;
      case 'unary': walk(n.arg); break;
      case 'binary': walk(n.left); walk(n.right); break;
      case 'literal': break;
    }
  };
  walk(ast);
  return refs;
}

export type ExpressionFunction = (...args: unknown[]) => unknown | Promise<unknown>;

/** Evaluates a parsed expression over a JSON `context`; throws ValidationError for a type error. */
export async function evaluate(ast: Node, context: Record<string, unknown>, functions: Record<string, ExpressionFunction> = {}): Promise<unknown> {
  const ev = async (n: Node): Promise<unknown> => {
    switch (n.kind) {
      case 'literal': return n.value;
      case 'ident': return Object.hasOwn(context, n.name) ? context[n.name] : fail(`unknown name '${n.name}'`);
      case 'member': {
        const obj = await ev(n.object);
        const key = await ev(n.property);
        if (obj === null || obj === undefined || typeof obj !== 'object') return null;
        if (typeof key !== 'string' && typeof key !== 'number') return fail('a property name must be a string or a number');
        const k = String(key);
        return Object.hasOwn(obj, k) ? ((obj as Record<string, unknown>)[k] ?? null) : null;
      }
      case 'call': {
        const fn = Object.hasOwn(functions, n.name) ? functions[n.name] : undefined;
        if (!fn) return fail(`unknown function '${n.name}'`);
        const args = [];
        for (const a of n.args) args.push(await ev(a));
        return (await fn(...args)) ?? null;
      }
      case 'unary': {
        const v = await ev(n.arg);
        if (n.op === 'not') return !truthy(v);
        if (typeof v !== 'number') return fail(`cannot negate ${typeName(v)}`);
        return -v;
      }
      case 'binary': {
        if (n.op === 'and') return truthy(await ev(n.left)) ? truthy(await ev(n.right)) : false;
        if (n.op === 'or') return truthy(await ev(n.left)) ? true : truthy(await ev(n.right));
        const l = await ev(n.left);
        const r = await ev(n.right);
        if (n.op === '==') return equal(l, r);
        if (n.op === '!=') return !equal(l, r);
        if (['<', '<=', '>', '>='].includes(n.op)) {
          if (l === null || r === null || l === undefined || r === undefined) return false;
          if (typeof l !== typeof r || (typeof l !== 'number' && typeof l !== 'string')) return fail(`cannot compare ${typeName(l)} ${n.op} ${typeName(r)}`);
          const a = l as number | string;
          const b = r as number | string;
          return n.op === '<' ? a < b : n.op === '<=' ? a <= b : n.op === '>' ? a > b : a >= b;
        }
        if (l === null || r === null) return null;
        if (n.op === '+' && typeof l === 'string' && typeof r === 'string') return l + r;
        if (typeof l !== 'number' || typeof r !== 'number') return fail(`cannot compute ${typeName(l)} ${n.op} ${typeName(r)}`);
        return n.op === '+' ? l + r : n.op === '-' ? l - r : n.op === '*' ? l * r : l / r;
      }
    }
  };
  return ev(ast);
}

const fail = (message: string): never => { throw validationError(`expression: ${message}`); };
const truthy = (v: unknown) => v !== null && v !== undefined && v !== false && v !== 0 && v !== '';
const typeName = (v: unknown) => (v === null || v === undefined ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);

function equal(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === 'object' && a !== null) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}
