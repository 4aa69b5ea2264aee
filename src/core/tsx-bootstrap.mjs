// Entry for child processes and worker threads that run TypeScript sources: registers tsx's
// loader in this thread, then imports the module named by workerData.entry or argv[2].
import { isMainThread, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const entry = isMainThread ? process.argv[2] : workerData?.entry;
if (!entry) throw new Error('tsx-bootstrap: no entry module given');
await import(entry.startsWith('file:') ? entry : pathToFileURL(entry).href);
