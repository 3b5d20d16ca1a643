/**
 * A fuzz worker thread (parallel.ts): runs the chunks it is given (chunk.ts) on its own booted
 * machine and posts progress every 100 sequences and each chunk's result.
 */
import { parentPort } from 'node:worker_threads';
import { runChunk, type Args } from './chunk';

const port = parentPort;
if (!port) throw new Error('test/fuzz/worker.ts runs as a worker thread of parallel.ts');
port.on('message', (t: { index: number; args: Args }) => {
  try {
    const result = runChunk(t.args, (done) => { if (done % 100 === 0) port.postMessage({ t: 'progress', index: t.index, done }); });
    port.postMessage({ t: 'done', index: t.index, result });
  } catch (e) {
    port.postMessage({ t: 'error', index: t.index, message: (e as Error).stack ?? String(e) });
  }
});
