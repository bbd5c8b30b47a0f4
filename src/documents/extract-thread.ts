/**
 * An extraction thread: reads units of a document (extract.ts) sent by threads.ts and answers
 * each with its indicators as JSON, in the order received. Pure work: no files, no state kept
 * between units but the extractor's compiled code and reference-site list.
 */
import { parentPort } from 'node:worker_threads';
import { unitIndicators } from './extract.ts';
import { batchJson } from './json.ts';
import type { ExtractJob, ExtractAnswer } from './threads.ts';

const port = parentPort;
if (port === null) throw new Error('documents/extract-thread.ts runs as a worker thread');

port.on('message', (job: ExtractJob) => {
  let answer: ExtractAnswer;
  try {
    answer = { id: job.id, json: batchJson(unitIndicators(job.parts, job.unit, job.options)) };
  } catch (err) {
    answer = { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
  (port as NonNullable<typeof port>).postMessage(answer);
});
