/**
 * How a script job's process is started, as SageMaker's training toolkit starts a user script
 * (reference §4.4): hyperparameters become `--name value` arguments, and the entry point's
 * extension picks the interpreter.
 */

/** What to exec: a program and its arguments (run with the code folder as working directory). */
export interface ScriptLaunch {
  command: string;
  args: string[];
  /** True when the entry point is run as a program of its own and must be made executable. */
  executable: boolean;
}

export interface ScriptCommandInput {
  entryPoint?: string;
  command?: string[];
  /** Arguments from the hyperparameters ({@link toCmdArgs}); appended to an entry point only. */
  userArgs: string[];
  /** Interpreter for `.py` entry points (config `python`). */
  python: string;
  /** Interpreter for `.js`/`.mjs`/`.cjs` entry points (this Node). */
  node: string;
  /** Module URL of a TypeScript loader for `.ts`/`.mts`/`.cts` entry points (Node's `--import`, e.g. tsx). */
  tsLoader?: string;
}

/** Whether an entry point runs as a program of its own (no interpreter known by its extension). */
export const runsAsProgram = (entryPoint: string) => !/\.(py|[mc]?[jt]s|sh)$/.test(entryPoint);

/**
 * `.py` → python, `.js`/`.mjs`/`.cjs` → node, `.ts`/`.mts`/`.cts` → node with the TypeScript
 * loader, `.sh` → /bin/sh, any other file → run itself; or the explicit command.
 */
export function scriptCommand(c: ScriptCommandInput): ScriptLaunch {
  if (c.command) return { command: c.command[0], args: c.command.slice(1), executable: false };
  const entry = c.entryPoint;
  if (!entry) throw new Error('a script needs an entry point or a command');
  if (runsAsProgram(entry)) return { command: `./${entry}`, args: c.userArgs, executable: true };
  if (/\.[mc]?ts$/.test(entry)) {
    if (!c.tsLoader) throw new Error(`a TypeScript entry point (${entry}) needs a TypeScript loader`);
    return { command: c.node, args: ['--import', c.tsLoader, entry, ...c.userArgs], executable: false };
  }
  const interpreter = entry.endsWith('.py') ? c.python : entry.endsWith('.sh') ? '/bin/sh' : c.node;
  return { command: interpreter, args: [entry, ...c.userArgs], executable: false };
}

/** Hyperparameter keys the toolkit keeps for itself and never passes to the script. */
export const isToolkitHyperparameter = (key: string) => key.startsWith('sagemaker_') || key === '_tuning_objective_metric';

/**
 * Hyperparameters as command-line arguments, the way the toolkit's `mapping.to_cmd_args` writes
 * them: keys sorted, `--key value` (`-k value` for a one-letter key), each value JSON-decoded when
 * it parses and then printed as Python's `str()` would (`true` → `True`, `[64,32]` → `[64, 32]`,
 * `"adam"` → `adam`).
 */
export function toCmdArgs(hyperparameters: Record<string, string>): string[] {
  const args: string[] = [];
  for (const key of Object.keys(hyperparameters).filter((k) => !isToolkitHyperparameter(k)).sort()) {
    args.push(key.length === 1 ? `-${key}` : `--${key}`, pythonStr(hyperparameters[key]));
  }
  return args;
}

function pythonStr(raw: string): string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return raw;
  }
  if (typeof value === 'string') return value;
  // A number keeps the user's spelling (Python would print 1.0 where JSON.parse gives 1).
  if (typeof value === 'number') return raw.trim();
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).map(([k, v]) => `${k}=${typeof v === 'string' ? v : pythonRepr(v)}`).join(',');
  }
  return pythonRepr(value);
}

function pythonRepr(v: unknown): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pythonRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${pythonRepr(k)}: ${pythonRepr(x)}`).join(', ')}}`;
  return String(v);
}
