// A parser that never answers (as a pathological input would make one): SpecParser's deadline must end it.
import { parentPort } from 'node:worker_threads';

parentPort!.on('message', () => {
  for (;;) {
    // spin
  }
});
