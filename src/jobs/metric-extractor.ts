import type { MetricDefinition } from '../algorithms/algorithm.js';
import { validationError } from '../core/errors.js';

export interface ExtractedMetric {
  name: string;
  value: number;
  step: number;
}

/** Compiles metric definitions, rejecting a regex that does not compile or has no capture group. */
export function compileMetricDefinitions(defs: readonly MetricDefinition[]): Array<{ name: string; re: RegExp }> {
  return defs.map((d, i) => {
    let re: RegExp;
    try {
      re = new RegExp(d.regex, 'g');
    } catch (e) {
      throw validationError(`metricDefinitions[${i}] '${d.name}': invalid regex: ${(e as Error).message}`, { field: `metricDefinitions[${i}].regex` });
    }
    if (new RegExp(`${d.regex}|`).exec('')!.length < 2) {
      throw validationError(`metricDefinitions[${i}] '${d.name}': the regex needs a capture group around the value, e.g. 'loss=(\\S+)'`, {
        field: `metricDefinitions[${i}].regex`,
      });
    }
    return { name: d.name, re };
  });
}

/**
 * Applies metric definitions to log lines as SageMaker does: the first capture group of the last
 * match on a line, parsed as a float; non-numeric captures are ignored. Lines are also tried with
 * tabs written as `#011`, the escaping SageMaker's log pipeline applies. Steps count per metric.
 */
export class MetricExtractor {
  #defs: Array<{ name: string; re: RegExp }>;
  #steps = new Map<string, number>();

  constructor(defs: readonly MetricDefinition[]) {
    this.#defs = compileMetricDefinitions(defs);
  }

  extract(line: string): ExtractedMetric[] {
    const out: ExtractedMetric[] = [];
    const escaped = line.includes('\t') ? line.replaceAll('\t', '#011') : undefined;
    for (const { name, re } of this.#defs) {
      const value = lastCapture(re, line) ?? (escaped === undefined ? undefined : lastCapture(re, escaped));
      if (value === undefined) continue;
      const step = this.#steps.get(name) ?? 0;
      this.#steps.set(name, step + 1);
      out.push({ name, value, step });
    }
    return out;
  }
}

function lastCapture(re: RegExp, line: string): number | undefined {
  let value: number | undefined;
  re.lastIndex = 0;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const v = Number.parseFloat(m[1] ?? '');
    if (Number.isFinite(v)) value = v;
    if (m[0].length === 0) re.lastIndex++;
  }
  return value;
}
