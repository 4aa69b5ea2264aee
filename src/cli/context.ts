import type { Command } from 'commander';
import { findLocalToken, StratusClient } from '../sdk/index.js';

/** Where the CLI writes and what it reads; injectable so tests can run it in-process. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** The options every command accepts. */
export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** What a command's action works with: the client, the output, the `--json` switch. */
export class CliContext {
  #client: StratusClient | undefined;

  constructor(
    readonly io: CliIo,
    readonly globals: GlobalOptions,
  ) {}

  /** Whether to print machine-readable JSON (and nothing else) on stdout. */
  get json(): boolean {
    return this.globals.json === true;
  }

  /** The SDK client, built on first use so `--help` and `server` read no token file. */
  get client(): StratusClient {
    this.#client ??= new StratusClient({
      url: this.globals.url ?? defaultUrl(this.io.env),
      token: this.globals.token ?? findLocalToken(this.io.env, this.io.cwd),
    });
    return this.#client;
  }

  /** Prints data on stdout: `value` as JSON under `--json`, else the text `render` makes. */
  output<T>(value: T, render: (v: T) => string): void {
    const text = this.json ? JSON.stringify(value, null, 2) : render(value);
    if (text) this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Prints a status message on stderr, keeping stdout for data. */
  info(message: string): void {
    this.io.stderr.write(`${message}\n`);
  }
}

/** `STRATUS_URL`, else `http://$STRATUS_HOST:$STRATUS_PORT`, else the local default. */
export function defaultUrl(env: NodeJS.ProcessEnv): string {
  if (env.STRATUS_URL) return env.STRATUS_URL;
  if (!env.STRATUS_HOST && !env.STRATUS_PORT) return 'http://127.0.0.1:8080';
  // A server bound to every interface is reached on loopback.
  const host = !env.STRATUS_HOST || env.STRATUS_HOST === '0.0.0.0' || env.STRATUS_HOST === '::' ? '127.0.0.1' : env.STRATUS_HOST;
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return `http://${bracketed}:${env.STRATUS_PORT || '8080'}`;
}

/** Builds an action's context from its command (global options included). */
export type ContextOf = (cmd: Command) => CliContext;
