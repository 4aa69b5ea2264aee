/**
 * A pipeline definition as a graph for drawing: its steps, the edges between them (the same
 * dependencies the server's definition.ts finds: dependsOn, `$step` references, the steps a
 * condition reads, and a condition's branches), and a layered layout.
 */

export type EdgeKind = 'dep' | 'data' | 'then' | 'else';
export interface DagNode { name: string; type: string; description?: string }
export interface DagEdge { from: string; to: string; kind: EdgeKind; outputs: string[] }
export interface DagGraph { nodes: DagNode[]; edges: DagEdge[] }

type Step = Record<string, unknown> & { name: string; type: string };
const META = new Set(['name', 'type', 'dependsOn', 'cache', 'retry', 'description', 'then', 'else']);

function stepRefs(value: unknown, out: { step: string; output: string }[]): void {
  if (Array.isArray(value)) {
    for (const v of value) stepRefs(v, out);
  } else if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    if (typeof o.$step === 'string' && typeof o.output === 'string' && Object.keys(o).length === 2) out.push({ step: o.$step, output: o.output });
    else for (const v of Object.values(o)) stepRefs(v, out);
  }
}

/** Step names a condition expression reads: `steps.x…` and `steps['x']…`. */
function expressionSteps(expression: string): string[] {
  const names: string[] = [];
  for (const m of expression.matchAll(/\bsteps\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*(['"])([^'"]+)\2\s*\])/g)) names.push(m[1] ?? m[3]);
  return names;
}

const RANK: Record<EdgeKind, number> = { dep: 0, data: 1, then: 2, else: 2 };

/** The graph of a definition (`{ steps: [...] }`); unknown step names are left out. */
export function pipelineGraph(definition: Record<string, unknown>): DagGraph {
  const steps = (Array.isArray(definition.steps) ? definition.steps : []) as Step[];
  const known = new Set(steps.map((s) => s.name));
  const edges = new Map<string, DagEdge>();
  const add = (from: string, to: string, kind: EdgeKind, output?: string) => {
    if (!known.has(from) || !known.has(to) || from === to) return;
    const key = `${from}\u0000${to}`;
    const e = edges.get(key) ?? { from, to, kind, outputs: [] };
    if (RANK[kind] > RANK[e.kind]) e.kind = kind;
    if (output && !e.outputs.includes(output)) e.outputs.push(output);
    edges.set(key, e);
  };
  for (const s of steps) {
    for (const d of (s.dependsOn as string[] | undefined) ?? []) add(d, s.name, 'dep');
    const refs: { step: string; output: string }[] = [];
    stepRefs(Object.fromEntries(Object.entries(s).filter(([k]) => !META.has(k))), refs);
    for (const r of refs) add(r.step, s.name, 'data', r.output);
    if (s.type === 'condition') {
      for (const n of expressionSteps(String(s.expression ?? ''))) add(n, s.name, 'data');
      for (const n of (s.then as string[] | undefined) ?? []) add(s.name, n, 'then');
      for (const n of (s.else as string[] | undefined) ?? []) add(s.name, n, 'else');
    }
  }
  // A step depending on a condition without being in a branch runs when it is true.
  const conditions = new Set(steps.filter((s) => s.type === 'condition').map((s) => s.name));
  for (const e of edges.values()) if (conditions.has(e.from) && e.kind === 'dep') e.kind = 'then';
  return {
    nodes: steps.map((s) => ({ name: s.name, type: s.type, ...(typeof s.description === 'string' ? { description: s.description } : {}) })),
    edges: [...edges.values()],
  };
}

export interface Placed { name: string; layer: number; row: number }

/**
 * Layers by longest path from the sources (a step sits one column right of its latest
 * dependency); within a column, steps are ordered by the mean row of their dependencies, then by
 * definition order, which keeps most arrows short and uncrossed for pipelines of this size.
 */
export function layeredLayout(g: DagGraph): { placed: Map<string, Placed>; layers: number; rows: number } {
  const deps = new Map(g.nodes.map((n) => [n.name, [] as string[]]));
  for (const e of g.edges) deps.get(e.to)?.push(e.from);
  const layer = new Map<string, number>();
  const layerOf = (name: string, seen: Set<string>): number => {
    const known = layer.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle (the server refuses them): break it
    seen.add(name);
    const l = Math.max(-1, ...(deps.get(name) ?? []).map((d) => layerOf(d, seen))) + 1;
    seen.delete(name);
    layer.set(name, l);
    return l;
  };
  for (const n of g.nodes) layerOf(n.name, new Set());
  const columns: string[][] = [];
  for (const n of g.nodes) (columns[layer.get(n.name)!] ??= []).push(n.name);
  const placed = new Map<string, Placed>();
  const order = new Map(g.nodes.map((n, i) => [n.name, i]));
  columns.forEach((names, l) => {
    const weight = (name: string) => {
      const rows = (deps.get(name) ?? []).map((d) => placed.get(d)?.row).filter((r): r is number => r !== undefined);
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : order.get(name)!;
    };
    const sorted = [...names].sort((a, b) => weight(a) - weight(b) || order.get(a)! - order.get(b)!);
    sorted.forEach((name, row) => placed.set(name, { name, layer: l, row }));
  });
  return { placed, layers: columns.length, rows: Math.max(1, ...columns.map((c) => c.length)) };
}
