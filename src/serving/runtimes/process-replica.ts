/**
 * A replica that is a child process speaking SageMaker's serving contract (reference §5): it
 * listens on `SAGEMAKER_BIND_TO_PORT`, answers `GET /ping` with 200 when healthy and
 * `POST /invocations` with predictions. The replica takes traffic only once `/ping` answered 200,
 * is pinged periodically afterwards, and dies (so the pool replaces it) when the process exits or
 * fails `unhealthyAfter` pings in a row.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { PlatformError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { InvokeRequest, InvokeResult, OnReplicaDeath, Replica } from './runtime.js';

/** What to run: the program, its arguments, working folder and (complete) environment. */
export interface ProcessLaunch {
  command: string;
  args: string[];
  cwd: string;
  /** The whole environment; `SAGEMAKER_BIND_TO_PORT` is added per replica. */
  env: Record<string, string>;
  /** Run as this OS user and group (a leased sandbox user, when the server is root); absent: the server's. */
  uid?: number;
  gid?: number;
  /** Called once the process has ended: kills what is left of the user, removes its folder, returns the user. */
  release?: () => Promise<void>;
}

export interface ProcessReplicaOptions {
  log: Logger;
  /** Names the replica in logs and messages, e.g. `variant 'AllTraffic'`. */
  label: string;
  /** Per-request limit (config `invocationTimeoutMs`); past it the caller gets ModelTimeout (504). */
  invocationTimeoutMs: number;
  /** Largest response accepted from the model. */
  maxResponseBytes: number;
  /** How long `/ping` may take to first answer 200 (SageMaker: 4 minutes). */
  startupTimeoutMs?: number;
  pingIntervalMs?: number;
  /** One ping's limit (SageMaker: 2 s). */
  pingTimeoutMs?: number;
  /** Failed pings in a row after which the replica is ended and replaced. */
  unhealthyAfter?: number;
  /** SIGTERM to SIGKILL on stop (SageMaker: 30 s). */
  stopGraceMs?: number;
}

const HOST = '127.0.0.1';
const TAIL_LINES = 20;
const STARTUP_POLL_MS = 100;

/** A port free at the time of asking (the child binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** GET /ping: the status code, or 0 when there was no answer in time. */
function ping(port: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: HOST, port, path: '/ping', method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ProcessReplica implements Replica {
  readonly ready: Promise<void>;
  #child: ChildProcess | undefined;
  #port = 0;
  #outstanding = 0;
  #dead = false;
  #stopping = false;
  #exited: Promise<void>;
  #markExited!: () => void;
  #tail: string[] = [];
  #healthTimer: NodeJS.Timeout | undefined;
  #failedPings = 0;
  #released: Promise<void> | undefined;
  #launch: ProcessLaunch | undefined;
  readonly #o: Required<ProcessReplicaOptions>;

  /** @param launch what to run, or how to prepare it per replica (a sandbox user and folder of its own). */
  constructor(private readonly launch: ProcessLaunch | (() => Promise<ProcessLaunch>), options: ProcessReplicaOptions, private readonly onDeath: OnReplicaDeath) {
    this.#o = { startupTimeoutMs: 240_000, pingIntervalMs: 5_000, pingTimeoutMs: 2_000, unhealthyAfter: 3, stopGraceMs: 30_000, ...options };
    this.#exited = new Promise((r) => (this.#markExited = r));
    this.ready = this.#start();
    this.ready.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get outstanding() {
    return this.#outstanding;
  }

  get alive() {
    return !this.#dead;
  }

  /** The process's last lines of output, for messages. */
  get lastOutput(): string {
    return this.#tail.join('\n');
  }

  async #start(): Promise<void> {
    this.#launch = typeof this.launch === 'function' ? await this.launch() : this.launch;
    try {
      this.#port = await freePort();
    } catch (e) {
      await this.#release();
      throw e;
    }
    if (this.#dead) {
      await this.#release();
      throw new PlatformError('Unavailable', `${this.#o.label}: stopped while starting`);
    }
    const { command, args, cwd, env, uid, gid } = this.#launch;
    const child = spawn(command, args, {
      cwd,
      env: { ...env, SAGEMAKER_BIND_TO_PORT: String(this.#port) },
      ...(uid !== undefined ? { uid } : {}),
      ...(gid !== undefined ? { gid } : {}),
      detached: true, // its own process group, so stop ends whatever it started
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (e) => {
        void this.#release();
        reject(new PlatformError('Unavailable', `${this.#o.label}: cannot start '${command}': ${e.message}`));
      }),
    );
    spawnError.catch(() => undefined);
    this.#capture(child);
    child.once('exit', (code, signal) => {
      this.#markExited();
      this.#die(`the model's process exited (${signal ? `signal ${signal}` : `code ${code}`})${this.#tailNote()}`);
      void this.#release();
    });
    const started = Date.now();
    for (;;) {
      if (this.#dead) throw new PlatformError('Unavailable', `${this.#o.label}: the model's server exited while starting${this.#exitNote()}${this.#tailNote()}`);
      if ((await Promise.race([ping(this.#port, this.#o.pingTimeoutMs), spawnError])) === 200) break;
      if (Date.now() - started > this.#o.startupTimeoutMs) {
        await this.#kill();
        throw new PlatformError('Unavailable', `${this.#o.label}: GET /ping did not answer 200 within ${Math.round(this.#o.startupTimeoutMs / 1000)} s of the start${this.#tailNote()}`);
      }
      await sleep(STARTUP_POLL_MS);
    }
    if (this.#dead) throw new PlatformError('Unavailable', `${this.#o.label}: the model's server exited while starting${this.#tailNote()}`);
    this.#healthTimer = setInterval(() => void this.#healthCheck(), this.#o.pingIntervalMs);
    this.#healthTimer.unref();
  }

  #exitNote(): string {
    const c = this.#child;
    return c?.exitCode !== null && c?.exitCode !== undefined ? ` with code ${c.exitCode}` : c?.signalCode ? ` on ${c.signalCode}` : '';
  }

  #tailNote(): string {
    return this.#tail.length ? `; its last output:\n${this.lastOutput}` : '';
  }

  #capture(child: ChildProcess) {
    for (const [stream, name] of [[child.stdout, 'stdout'], [child.stderr, 'stderr']] as const) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.#line(line, name);
      });
      stream?.on('end', () => partial && this.#line(partial, name));
    }
  }

  #line(line: string, stream: string) {
    this.#tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    this.#o.log.info({ replica: this.#o.label, pid: this.#child?.pid, stream, line }, 'replica output');
  }

  #pinging = false;
  async #healthCheck() {
    if (this.#pinging || this.#dead) return;
    this.#pinging = true;
    const status = await ping(this.#port, this.#o.pingTimeoutMs);
    this.#pinging = false;
    if (this.#dead) return;
    if (status === 200) {
      this.#failedPings = 0;
      return;
    }
    this.#failedPings++;
    this.#o.log.warn({ replica: this.#o.label, pid: this.#child?.pid, status, failedPings: this.#failedPings }, 'replica failed a health check');
    if (this.#failedPings >= this.#o.unhealthyAfter) {
      this.#die(`the model's server failed ${this.#failedPings} health checks in a row (GET /ping ${status ? `answered ${status}` : 'did not answer'})`);
      void this.#kill();
    }
  }

  invoke(req: InvokeRequest): Promise<InvokeResult> {
    if (this.#dead) return Promise.reject(new PlatformError('Unavailable', 'replica is not running'));
    this.#outstanding++;
    return this.#post(req).finally(() => this.#outstanding--);
  }

  #post(req: InvokeRequest): Promise<InvokeResult> {
    const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
    const headers: Record<string, string | number> = { 'content-length': body.length };
    if (req.contentType) headers['content-type'] = req.contentType;
    if (req.accept) headers.accept = req.accept;
    return new Promise<InvokeResult>((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const http = request({ host: HOST, port: this.#port, path: '/invocations', method: 'POST', headers, agent: false }, (res) =>
        this.#read(res).then(
          (r) => settle(() => resolve(r)),
          (e: unknown) => settle(() => reject(e)),
        ),
      );
      const timer = setTimeout(() => {
        settle(() => reject(new PlatformError('ModelTimeout', `the model did not answer within ${this.#o.invocationTimeoutMs / 1000} s`, { timeoutMs: this.#o.invocationTimeoutMs })));
        http.destroy();
      }, this.#o.invocationTimeoutMs);
      http.on('error', (e: NodeJS.ErrnoException) => {
        if (settled) return;
        // A crash usually shows as a reset socket a moment before the exit event.
        void Promise.race([this.#exited, sleep(250)]).then(() =>
          settle(() =>
            reject(
              this.#dead
                ? new PlatformError('Unavailable', `the model's process ended during the request`)
                : new PlatformError('ModelError', `the model's server dropped the request (${e.code ?? e.message})`),
            ),
          ),
        );
      });
      http.end(body);
    });
  }

  async #read(res: IncomingMessage): Promise<InvokeResult> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.#o.maxResponseBytes) {
        res.destroy();
        throw new PlatformError('ModelError', `the model's response is larger than ${this.#o.maxResponseBytes} bytes`);
      }
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      const original = body.toString('utf8').slice(0, 2048);
      throw new PlatformError('ModelError', `the model answered ${status}${original.trim() ? `: ${original.trim()}` : ''}`, {
        originalStatusCode: status,
        originalMessage: original,
      });
    }
    return { body, contentType: String(res.headers['content-type'] ?? 'application/octet-stream') };
  }

  #die(reason: string) {
    if (this.#dead) return;
    this.#dead = true;
    clearInterval(this.#healthTimer);
    if (!this.#stopping) this.onDeath(this, reason);
  }

  /** SIGTERM to the process group, SIGKILL after the grace period. */
  async #kill(): Promise<void> {
    const pid = this.#child?.pid;
    if (pid === undefined || this.#child?.exitCode !== null || this.#child?.signalCode !== null) {
      if (pid !== undefined) this.#signalGroup(pid, 'SIGKILL'); // children it left behind
      return;
    }
    this.#signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => this.#signalGroup(pid, 'SIGKILL'), this.#o.stopGraceMs);
    await this.#exited;
    clearTimeout(timer);
    this.#signalGroup(pid, 'SIGKILL');
  }

  #signalGroup(pid: number, signal: NodeJS.Signals) {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone already
    }
  }

  async drainAndStop(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#outstanding > 0 && Date.now() < deadline) await sleep(10);
    this.#stopping = true;
    this.#die('stopped');
    await this.#kill();
    await this.ready.catch(() => undefined);
    await this.#released;
  }

  /** Returns the sandbox user and its folder (once), after the process is gone. */
  #release(): Promise<void> {
    const release = this.#launch?.release;
    if (!release) return Promise.resolve();
    this.#released ??= release().catch((e: unknown) => this.#o.log.warn({ err: e, replica: this.#o.label }, 'could not release the replica\'s sandbox user'));
    return this.#released;
  }
}
