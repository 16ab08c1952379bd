// A parser that allocates without end (as a pathological input would make one): the worker's heap limit must end it.
import { parentPort } from 'node:worker_threads';

parentPort!.on('message', () => {
  const hoard: string[][] = [];
  for (let i = 0; ; i++) hoard.push(Array.from({ length: 1_000 }, (_, j) => `${i}:${j}`));
});
