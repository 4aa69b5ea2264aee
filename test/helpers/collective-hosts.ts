/** Test helpers: N collectives on this machine's loopback, as the hosts of one job. */
import { createServer } from 'node:net';
import type { Collective } from '../../src/algorithms/distributed/collective.js';
import { connectCollective } from '../../src/algorithms/distributed/tcp-collective.js';

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const hostNames = (n: number) => Array.from({ length: n }, (_, i) => `algo-${i + 1}`);

/** Options for host `host` of `size` hosts on 127.0.0.1. */
export function loopbackOptions(size: number, host: string, port: number, timeoutMs = 10_000) {
  const hosts = hostNames(size);
  return { hosts, currentHost: host, hostAddresses: Object.fromEntries(hosts.map((h) => [h, '127.0.0.1'])), port, timeoutMs, group: 'test' };
}

/** Connects `size` collectives in this process (ranks 0..size-1). */
export async function loopbackHosts(size: number, timeoutMs = 10_000): Promise<Collective[]> {
  const port = await freePort();
  return Promise.all(hostNames(size).map((h) => connectCollective(loopbackOptions(size, h, port, timeoutMs))));
}
