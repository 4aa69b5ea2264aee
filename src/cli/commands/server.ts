import type { Command } from 'commander';
import type { ContextOf } from '../context.js';

interface ServerFlags {
  home?: string;
  host?: string;
  port?: string;
  databaseUrl?: string;
  artifactUrl?: string;
  token?: string;
  config?: string;
  logLevel?: string;
  sealingKeyFile?: string;
}

/** `stratus server`: runs the platform in this process until SIGINT/SIGTERM. */
export function registerServer(program: Command, ctxOf: ContextOf): void {
  program
    .command('server')
    .description('run the Stratus server (API, scheduler and local executor) in this process')
    .option('--home <dir>', 'data folder (default: $STRATUS_HOME or ./.stratus)')
    .option('--host <host>', 'interface to listen on (default: 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default: 8080)')
    .option('--database-url <url>', 'sqlite:<path> or postgres://… (default: sqlite in the data folder)')
    .option('--artifact-url <url>', 'file://<folder> or s3://… (default: <home>/artifacts)')
    .option('--token <token>', 'admin token (default: generated at first start, kept in <home>/admin-token)')
    .option('--config <file>', 'a JSON config file (default: $STRATUS_CONFIG or ./stratus.config.json)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .option('--sealing-key-file <file>', 'file holding the key that seals access keys (base64 of 32 bytes; the same on every node of a cluster; default: <home>/access-key-sealing.key)')
    .action(async (_flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      // --token is also a global option, and commander gives a global option to the program.
      const flags = cmd.optsWithGlobals<ServerFlags>();
      // Imported here, so that the other commands never load server code (the CLI talks to the SDK only).
      const { startServer } = await import('../../server.js');
      await startServer({
        flags: {
          home: flags.home,
          host: flags.host,
          port: flags.port,
          databaseUrl: flags.databaseUrl,
          artifactUrl: flags.artifactUrl,
          token: flags.token,
          logLevel: flags.logLevel,
          sealingKeyFile: flags.sealingKeyFile,
        },
        env: ctx.io.env,
        configFile: flags.config,
        banner: true,
      });
    });
}
