import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TrainingService } from '../../training/training-service.js';

const sse = (event: string, data: string) => `event: ${event}\n${data.split('\n').map((l) => `data: ${l}`).join('\n')}\n\n`;

/**
 * Streams a job's log as server-sent events: the lines so far, then live lines, then an `end`
 * event carrying the final status. Lines written between the read and the subscription are
 * neither lost nor repeated: the subscription starts first and the file is read after.
 */
export async function streamLog(req: FastifyRequest, reply: FastifyReply, training: TrainingService, name: string) {
  await training.get(name);
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  const live = training.liveLog(name);
  const buffered: string[] = [];
  let replaying = true;
  const onLine = (line: string) => (replaying ? buffered.push(line) : raw.write(sse('log', line)));
  const finished = new Promise<void>((resolve) => {
    if (!live) return resolve();
    live.on('line', onLine);
    live.once('end', () => resolve());
  });
  const history = (await training.readLog(name)).split('\n');
  if (history.at(-1) === '') history.pop();
  for (const line of history) raw.write(sse('log', line));
  replaying = false;
  for (const line of buffered.slice(overlap(history, buffered))) raw.write(sse('log', line));
  const closed = new Promise<void>((resolve) => req.raw.once('close', () => resolve()));
  await Promise.race([finished, closed]);
  live?.off('line', onLine);
  const job = await training.get(name).catch(() => undefined);
  if (!raw.writableEnded) raw.end(sse('end', JSON.stringify({ status: job?.status ?? 'Unknown' })));
}

/** How many of the buffered live lines the history already held (they arrived before the read). */
function overlap(history: string[], buffered: string[]): number {
  for (let k = Math.min(history.length, buffered.length); k > 0; k--) {
    let same = true;
    for (let i = 0; i < k && same; i++) same = history[history.length - k + i] === buffered[i];
    if (same) return k;
  }
  return 0;
}
