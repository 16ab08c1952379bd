/**
 * The worker side of SpecParser: parses one spec per message with the pure loader. It runs
 * in a worker thread with its own heap limit, so a spec that is slow or huge to parse costs
 * this thread (which the manager can kill), never the manager's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { loadSpec } from '../../core/appspec/load-spec.ts';
import { isMatrixError, MatrixError } from '../../core/errors.ts';
import type { ParseReply, ParseRequest } from './spec-parser.ts';

parentPort!.on('message', (m: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = { id: m.id, spec: loadSpec(m.source, m.file) };
  } catch (e) {
    const err = isMatrixError(e) ? e : new MatrixError('E_INTERNAL', e instanceof Error ? e.message : String(e));
    reply = { id: m.id, error: err.toJSON() };
  }
  parentPort!.postMessage(reply);
});
