// Runs the TypeScript sources under tsx on every thread: `node --import ./scripts/register-tsx.mjs …`.
// The tests and benches start node this way. `--import tsx` alone registers tsx on the main
// thread only on Node 20 (tsx loads itself on worker threads from Node 22.22.3 and 24.11.1), so a
// worker thread started from a .ts file — the parse thread — would not load. Worker threads
// inherit this preload with the rest of node's options and register tsx's hooks for themselves.
import { isMainThread } from 'node:worker_threads';

if (isMainThread) await import('tsx');
else (await import('tsx/esm/api')).register();
