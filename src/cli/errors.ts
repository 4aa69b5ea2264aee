import { CommanderError } from 'commander';
import { StratusApiError } from '../sdk/index.js';
import type { CliIo } from './context.js';

/** A failure the CLI reports as `error: <message>` (plus a hint) and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command used wrongly: exit code 2, like commander's own usage errors. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, 2, hint);
    this.name = 'UsageError';
  }
}

const HINTS: Record<string, string> = {
  Unauthenticated: 'pass --token, set STRATUS_TOKEN, or run where the server keeps .stratus/admin-token',
  Forbidden: 'this token may not do that; ask an admin for a token with more rights',
  ResourceInUse: 'delete or stop what uses it first, or pick another name',
  PayloadTooLarge: 'the server limits the body size (STRATUS_MAX_UPLOAD_BYTES, STRATUS_MAX_INVOCATION_BYTES)',
};

/** Prints an error the way the CLI promises (never a stack trace for an API error) and returns the exit code. */
export function reportError(err: unknown, io: CliIo): number {
  // commander already printed its message (usage errors) or the help text.
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof StratusApiError) return reportApiError(err, io);
  if (err instanceof CliError) {
    io.stderr.write(`error: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`error: ${message}\n`);
  if (io.env.STRATUS_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  return 1;
}

function reportApiError(err: StratusApiError, io: CliIo): number {
  const lines = [`error: ${err.message}`];
  const details = err.details && err.code !== 'Unreachable' ? JSON.stringify(err.details) : '';
  if (details && details !== '{}') lines.push(`details: ${details}`);
  if (err.status >= 500 && err.requestId) lines.push(`request id: ${err.requestId}`);
  const hint = HINTS[err.code];
  if (hint) lines.push(`hint: ${hint}`);
  io.stderr.write(`${lines.join('\n')}\n`);
  return 1;
}
