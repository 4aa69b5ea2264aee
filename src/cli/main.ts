import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerAccessKeys } from './commands/access-keys.js';
import { registerAlgorithms } from './commands/algorithms.js';
import { registerCluster } from './commands/cluster.js';
import { registerArtifacts } from './commands/artifacts.js';
import { registerDatasets } from './commands/datasets.js';
import { registerEndpointConfigs } from './commands/endpoint-configs.js';
import { registerEndpoints } from './commands/endpoints.js';
import { registerExperiments } from './commands/experiments.js';
import { registerJobs } from './commands/jobs.js';
import { registerModels } from './commands/models.js';
import { registerServer } from './commands/server.js';
import { registerTrain } from './commands/train.js';
import { registerTransform } from './commands/transform.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerRegistry } from './commands/registry.js';
import { registerMonitor } from './commands/monitor.js';
import { registerPipelines } from './commands/pipelines.js';
import { registerOnlineEvaluations } from './commands/online-evaluations.js';
import { registerRetraining } from './commands/retraining.js';
import { CliContext, type CliIo, type GlobalOptions } from './context.js';
import { reportError } from './errors.js';

/** The `stratus` command tree, writing to `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('stratus')
    .description('Stratus: an open machine-learning platform. Upload data, train, deploy, invoke.')
    .option('--url <url>', 'the Stratus server (default: $STRATUS_URL, else http://$STRATUS_HOST:$STRATUS_PORT, else http://127.0.0.1:8080)')
    .option('--token <token>', 'API token (default: $STRATUS_TOKEN, else <$STRATUS_HOME or ./.stratus>/admin-token)')
    .option('--json', 'print machine-readable JSON on stdout, and nothing else')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  // Subcommands copy these settings (exitOverride, output, help) when created, so they are set first.
  const ctxOf = (cmd: Command) => new CliContext(io, cmd.optsWithGlobals<GlobalOptions>());
  for (const register of [registerServer, registerDatasets, registerTrain, registerJobs, registerExperiments, registerModels, registerEndpointConfigs, registerEndpoints, registerTransform, registerEvaluate, registerRegistry, registerMonitor, registerOnlineEvaluations, registerPipelines, registerRetraining, registerAlgorithms, registerArtifacts, registerAccessKeys, registerCluster]) {
    register(program, ctxOf);
  }
  return program;
}

/**
 * Runs the CLI on `argv` (as `process.argv`: node, script, args…) and resolves with the exit
 * code: 0 on success, 1 on an error, 2 on a usage error.
 */
export async function main(argv: string[] = process.argv, io: CliIo = processIo()): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err, io);
  }
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await main();
