import type { ParameterValue, PipelineDefinition, PipelineStep, PipelineStepType } from '../contracts/pipeline.js';
import { validationError } from '../core/errors.js';
import { instanceType } from '../core/instance-types.js';
import { checkEnvironment } from '../training/job-spec.js';
import { checkRelativePath } from '../training/script-spec.js';
import { parseCron } from '../core/cron.js';
import { parseExpression, referencesOf } from './expression.js';

/**
 * The outputs each step type produces, by name: what `{"$step", "output"}` and `steps.<name>.<output>`
 * may read. A reference may go deeper with dots (`outputs.train.prefix`); its first name is checked.
 */
export const STEP_OUTPUTS: Readonly<Record<PipelineStepType, readonly string[]>> = {
  processing: ['dataset', 'version', 'rows', 'uri', 'processingJob', 'outputs'],
  training: ['trainingJob', 'model', 'modelArtifact', 'metrics'],
  evaluation: ['evaluationJob', 'metrics', 'reportUri', 'task', 'trainingJob', 'model'],
  condition: ['value'],
  'register-model': ['group', 'version', 'arn'],
  deploy: ['endpoint', 'config'],
  transform: ['transformJob', 'outputPrefix'],
  fail: [],
};

/** Functions a condition expression may call. */
export const EXPRESSION_FUNCTIONS = ['registry'];

/** Keys of a step that are not its body (never resolved, never references). */
const META = new Set(['name', 'type', 'dependsOn', 'cache', 'retry', 'description', 'then', 'else']);

/** A validated pipeline: its steps in a topological order, each with the steps it waits for. */
export interface PipelineGraph {
  steps: PipelineStep[];
  byName: Map<string, PipelineStep>;
  /** Step → the steps it depends on (references, dependsOn, the condition of its branch). */
  deps: Map<string, Set<string>>;
  /** Step → the condition steps (and branch) it runs under directly. */
  branches: Map<string, Array<{ condition: string; when: boolean }>>;
  order: string[];
}

export type Reference = { $param: string } | { $step: string; output: string };

export function isReference(v: unknown): v is Reference {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === '$param') return typeof (v as { $param: unknown }).$param === 'string';
  return keys.length === 2 && typeof (v as { $step?: unknown }).$step === 'string' && typeof (v as { output?: unknown }).output === 'string';
}

/** Every reference in a value, depth first. */
export function referencesIn(value: unknown, out: Reference[] = []): Reference[] {
  if (isReference(value)) out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => referencesIn(v, out));
  else if (typeof value === 'object' && value !== null) Object.values(value).forEach((v) => referencesIn(v, out));
  return out;
}

/** The step without its meta keys: what references are looked for in, and what is resolved. */
export function bodyOf(step: PipelineStep): Record<string, unknown> {
  return Object.fromEntries(Object.entries(step).filter(([k]) => !META.has(k)));
}

/**
 * Checks what the schema cannot: unique names, every reference (to a parameter, a step, a step's
 * output), condition expressions, branch and dependsOn names, a cron, and that the steps form a
 * DAG. Throws ValidationError naming the first problem.
 */
export function validateDefinition(def: PipelineDefinition): PipelineGraph {
  const params = new Map<string, NonNullable<PipelineDefinition['parameters']>[number]>();
  for (const p of def.parameters ?? []) {
    if (params.has(p.name)) throw validationError(`parameter '${p.name}' is declared twice`, { parameter: p.name });
    if (p.default !== undefined) checkParameterValue(p.name, p.type, p.default);
    params.set(p.name, p);
  }
  const byName = new Map<string, PipelineStep>();
  for (const s of def.steps) {
    if (byName.has(s.name)) throw validationError(`step '${s.name}' is defined twice`, { step: s.name });
    byName.set(s.name, s);
  }
  const deps = new Map<string, Set<string>>();
  const branches = new Map<string, Array<{ condition: string; when: boolean }>>();
  const needStep = (from: string, name: string, what: string) => {
    if (!byName.has(name)) throw validationError(`step '${from}' ${what} unknown step '${name}'`, { step: from, unknownStep: name });
  };
  for (const s of def.steps) {
    const d = new Set<string>();
    for (const n of s.dependsOn ?? []) {
      needStep(s.name, n, 'depends on');
      d.add(n);
    }
    for (const ref of referencesIn(bodyOf(s))) {
      if ('$param' in ref) {
        if (!params.has(ref.$param)) throw validationError(`step '${s.name}' references unknown parameter '${ref.$param}'`, { step: s.name, unknownParameter: ref.$param });
      } else {
        needStep(s.name, ref.$step, 'references');
        const target = byName.get(ref.$step)!;
        const type = target.type;
        if (!STEP_OUTPUTS[type].includes(ref.output.split('.')[0])) {
          throw validationError(`step '${s.name}' references output '${ref.output}' of ${type} step '${ref.$step}', which has ${STEP_OUTPUTS[type].map((o) => `'${o}'`).join(', ') || 'no outputs'}`, { step: s.name, unknownOutput: ref.output });
        }
        if (target.type === 'processing') checkProcessingReference(s.name, target, ref.output);
        d.add(ref.$step);
      }
    }
    if (s.type === 'processing') checkProcessingStep(s);
    if (s.type === 'condition') {
      const refs = referencesOf(parseExpression(s.expression));
      for (const root of refs.roots) if (root !== 'params' && root !== 'steps') throw validationError(`condition '${s.name}': unknown name '${root}' (use params.<name> or steps.<step>.<output>)`, { step: s.name });
      for (const fn of refs.functions) if (!EXPRESSION_FUNCTIONS.includes(fn)) throw validationError(`condition '${s.name}': unknown function '${fn}'`, { step: s.name });
      for (const p of refs.params) if (!params.has(p)) throw validationError(`condition '${s.name}' references unknown parameter '${p}'`, { step: s.name, unknownParameter: p });
      for (const n of refs.steps) {
        needStep(s.name, n, 'references');
        d.add(n);
      }
      for (const [list, when] of [[s.then ?? [], true], [s.else ?? [], false]] as const) {
        for (const n of list) {
          needStep(s.name, n, when ? "lists in 'then'" : "lists in 'else'");
          if (!branches.has(n)) branches.set(n, []);
          branches.get(n)!.push({ condition: s.name, when });
        }
      }
    }
    deps.set(s.name, d);
  }
  // A step that depends on a condition without being listed in a branch runs on its true branch.
  for (const [name, d] of deps) {
    for (const dep of d) {
      const cond = byName.get(dep)!;
      if (cond.type !== 'condition') continue;
      const listed = (branches.get(name) ?? []).some((b) => b.condition === dep);
      if (!listed) {
        if (!branches.has(name)) branches.set(name, []);
        branches.get(name)!.push({ condition: dep, when: true });
      }
    }
  }
  for (const [name, list] of branches) for (const b of list) deps.get(name)!.add(b.condition);
  const order = topologicalOrder(def.steps.map((s) => s.name), deps);
  if (def.schedule) parseCron(def.schedule.cron);
  for (const values of [def.schedule?.parameters, def.trigger?.parameters]) if (values) resolveParameters(def, values);
  return { steps: def.steps, byName, deps, branches, order };
}

type ProcessingStepDef = Extract<PipelineStep, { type: 'processing' }>;

/**
 * A processing step is SQL (inputs are datasets, one `output` dataset) or a script (inputs are
 * datasets or artifact prefixes, named `outputs`, an entry point or a command). Throws
 * ValidationError naming the step and the field.
 */
function checkProcessingStep(s: ProcessingStepDef): void {
  const bad = (field: string, why: string) => validationError(`processing step '${s.name}': ${why}`, { step: s.name, field });
  if ((s.sql === undefined) === (s.script === undefined)) throw bad(s.sql === undefined ? 'script' : 'sql', 'give either sql (DuckDB over dataset inputs) or script (your code), not both or neither');
  for (const [name, input] of Object.entries(s.inputs)) {
    if ((input.dataset === undefined) === (input.artifactPrefix === undefined)) throw bad(`inputs.${name}`, `input '${name}' needs exactly one of dataset and artifactPrefix`);
    if (input.artifactPrefix !== undefined && input.version !== undefined) throw bad(`inputs.${name}.version`, `input '${name}': version applies to a dataset, not to an artifactPrefix`);
    if (s.sql !== undefined && input.artifactPrefix !== undefined) throw bad(`inputs.${name}.artifactPrefix`, `input '${name}': SQL reads datasets only; artifactPrefix inputs are for scripts`);
  }
  if (s.sql !== undefined) {
    if (!s.output) throw bad('output', 'SQL needs output: {dataset}, the dataset its result becomes the next version of');
    for (const field of ['outputs', 'environment', 'instanceType', 'maxRuntimeInSeconds'] as const) {
      if (s[field] !== undefined) throw bad(field, `${field} applies to script steps, not to SQL`);
    }
    return;
  }
  const script = s.script!;
  if (s.output) throw bad('output', "a script's results are its outputs: {name: {dataset?}}, not output");
  if ((script.entryPoint === undefined) === (script.command === undefined)) {
    throw bad(script.entryPoint === undefined ? 'script.entryPoint' : 'script.command', 'script needs exactly one of entryPoint (a file in the source bundle) and command (an explicit argv)');
  }
  try {
    if (script.entryPoint !== undefined) checkRelativePath(script.entryPoint, 'script.entryPoint');
    checkEnvironment(s.environment);
    if (s.instanceType !== undefined) instanceType(s.instanceType);
  } catch (e) {
    const field = (e as { details?: { field?: string } }).details?.field ?? 'script';
    throw bad(field, (e as Error).message);
  }
}

/** What a reference to a processing step's output needs: a script for its job and outputs, one dataset output for `dataset`…. */
function checkProcessingReference(from: string, target: ProcessingStepDef, output: string): void {
  const [first, name] = output.split('.');
  const bad = (why: string) => validationError(`step '${from}' references output '${output}' of processing step '${target.name}', ${why}`, { step: from, unknownOutput: output });
  if (first === 'processingJob' || first === 'outputs') {
    if (target.script === undefined) throw bad('which only a script step has');
    if (first === 'outputs' && name !== undefined && !(target.outputs && name in target.outputs)) throw bad(`which has no output named '${name}'`);
    return;
  }
  if (target.script !== undefined) {
    const datasets = Object.values(target.outputs ?? {}).filter((o) => o.dataset !== undefined).length;
    if (datasets !== 1) throw bad(`a script step with ${datasets} dataset outputs: use outputs.<name>.${first}`);
  }
}

/** Kahn's algorithm in definition order; a cycle is reported with its path. */
function topologicalOrder(names: string[], deps: Map<string, Set<string>>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < names.length) {
    const next = names.find((n) => !done.has(n) && [...deps.get(n)!].every((d) => done.has(d)));
    if (next === undefined) {
      const cycle = findCycle(names.filter((n) => !done.has(n)), deps);
      throw validationError(`the steps form a cycle: ${cycle.join(' → ')}`, { cycle });
    }
    done.add(next);
    order.push(next);
  }
  return order;
}

function findCycle(left: string[], deps: Map<string, Set<string>>): string[] {
  const path: string[] = [];
  let at = left[0];
  while (!path.includes(at)) {
    path.push(at);
    at = [...deps.get(at)!].find((d) => left.includes(d))!;
  }
  return [...path.slice(path.indexOf(at)), at];
}

function checkParameterValue(name: string, type: string, value: unknown): ParameterValue {
  if (type === 'string' && (typeof value === 'number' || typeof value === 'boolean')) value = String(value);
  const ok = type === 'string' ? typeof value === 'string'
    : type === 'boolean' ? typeof value === 'boolean'
    : type === 'integer' ? Number.isInteger(value)
    : typeof value === 'number' && Number.isFinite(value);
  if (!ok) throw validationError(`parameter '${name}' must be ${type === 'integer' ? 'an integer' : `a ${type}`}, got ${JSON.stringify(value)}`, { parameter: name });
  return value as ParameterValue;
}

/**
 * The values of an execution: defaults overridden by `given`. Strings given for number, integer
 * or boolean parameters are converted (the CLI's `-p k=v`). Throws for unknown or missing ones.
 */
export function resolveParameters(def: PipelineDefinition, given: Record<string, unknown> = {}): Record<string, ParameterValue> {
  const declared = new Map((def.parameters ?? []).map((p) => [p.name, p]));
  for (const k of Object.keys(given)) if (!declared.has(k)) throw validationError(`unknown parameter '${k}' of pipeline '${def.name}'`, { parameter: k });
  const out: Record<string, ParameterValue> = {};
  for (const p of declared.values()) {
    let v = given[p.name] ?? p.default;
    if (v === undefined) throw validationError(`parameter '${p.name}' has no default; give a value`, { parameter: p.name });
    if (typeof v === 'string' && p.type !== 'string') {
      v = p.type === 'boolean' ? (v === 'true' ? true : v === 'false' ? false : v) : v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
    }
    out[p.name] = checkParameterValue(p.name, p.type, v);
  }
  return out;
}

/** Replaces every reference in `value` (a parameter, or a finished step's output). */
export function resolveReferences(value: unknown, params: Record<string, unknown>, outputs: (step: string) => Record<string, unknown> | undefined): unknown {
  if (isReference(value)) {
    if ('$param' in value) return params[value.$param];
    let v: unknown = outputs(value.$step);
    for (const key of value.output.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
    if (v === undefined) throw validationError(`step '${value.$step}' has no output '${value.output}'`);
    return v;
  }
  if (Array.isArray(value)) return value.map((v) => resolveReferences(v, params, outputs));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveReferences(v, params, outputs)]));
  return value;
}
