/**
 * Parses deployed specs off the manager's event loop: in a worker thread with a heap limit
 * and a deadline. The input limits (core/appspec/limits.ts) already bound what reaches a
 * parser; this bounds what is left (a valid 1 MiB YAML still takes a parser hundreds of ms),
 * so no spec can stall the control loop or the API, or take the manager's memory with it.
 * A worker that overruns is terminated and the next parse gets a fresh one. An idle worker
 * ends after `idleMs`: it is an isolate of its own (~17 MB) that an idle manager would hold.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LoadedSpec } from '../../core/appspec/load-spec.ts';
import { MatrixError } from '../../core/errors.ts';
import { Serial } from '../../util/serial.ts';

export interface ParseRequest {
  id: number;
  source: string;
  file: string;
}

export type ParseReply = { id: number; spec: LoadedSpec } | { id: number; error: ReturnType<MatrixError['toJSON']> };

export interface SpecParserOptions {
  /** A parse that takes longer fails with E_INPUT_TOO_COMPLEX (default 10 s). */
  timeoutMs?: number;
  /** The worker's heap (default 256 MiB); a parse that needs more fails with E_INPUT_TOO_COMPLEX. */
  heapMb?: number;
  /** An idle worker ends after this long (default 60 s); the next parse starts one (~0.1 s). */
  idleMs?: number;
  /** The worker's module (tests give a misbehaving one); default parse-worker.js next to this file (.ts from the sources). */
  workerModule?: URL;
}

/** The worker runs what the manager runs: the compiled parse-worker.js, or (tests on the sources) parse-worker.ts through tsx. */
const COMPILED = import.meta.url.endsWith('.js');
const tsxApi = (): string => pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;

export class SpecParser {
  private worker: Worker | null = null;
  private readonly serial = new Serial();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: SpecParserOptions = {}) {}

  /** One parse at a time; throws the spec's own MatrixError, or E_INPUT_TOO_COMPLEX. */
  parse(source: string, file: string): Promise<LoadedSpec> {
    return this.serial.run(async () => {
      this.stopIdleTimer();
      try {
        return await this.parseOne({ id: this.nextId++, source, file });
      } finally {
        this.startIdleTimer();
      }
    });
  }

  /** Starts the worker ahead of a parse (it takes ~0.1 s to load the parsers), so that parse does not wait for it; it ends if idle. */
  warm(): void {
    if (this.worker) return; // one that runs is either parsing or already counting its idle time
    this.worker = this.spawn();
    this.startIdleTimer();
  }

  /** Whether a worker is running now (tests). */
  get running(): boolean {
    return this.worker !== null;
  }

  async close(): Promise<void> {
    this.stopIdleTimer();
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }

  private startIdleTimer(): void {
    if (!this.worker) return;
    this.idleTimer = setTimeout(() => void this.close(), this.o.idleMs ?? 60_000);
    this.idleTimer.unref();
  }

  private stopIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private spawn(): Worker {
    const module = (this.o.workerModule ?? new URL(COMPILED ? './parse-worker.js' : './parse-worker.ts', import.meta.url)).href;
    const options = { resourceLimits: { maxOldGenerationSizeMb: this.o.heapMb ?? 256 }, stdout: false, stderr: false };
    const w = module.endsWith('.ts')
      ? new Worker(`import(${JSON.stringify(tsxApi())}).then((tsx) => tsx.tsImport(${JSON.stringify(module)}, ${JSON.stringify(import.meta.url)}))`, {
          eval: true,
          ...options,
        })
      : new Worker(new URL(module), options);
    w.unref(); // an idle parser never keeps the manager alive
    // one that dies while idle (a warmed one, say) is replaced at the next parse, not posted to
    w.once('exit', () => {
      if (this.worker === w) this.worker = null;
    });
    w.on('error', () => undefined); // reported by the parse it fails, if any
    return w;
  }

  private parseOne(req: ParseRequest): Promise<LoadedSpec> {
    const w = (this.worker ??= this.spawn());
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    return new Promise<LoadedSpec>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      // the worker is not reusable after any of these: the next parse gets a new one
      const fail = (e: MatrixError): void => {
        done();
        if (this.worker === w) this.worker = null;
        void w.terminate();
        reject(e);
      };
      const onMessage = (m: ParseReply): void => {
        if (m.id !== req.id) return;
        done();
        if ('spec' in m) resolve(m.spec);
        else reject(MatrixError.fromJSON(m.error));
      };
      const onError = (e: Error & { code?: string }): void =>
        fail(
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new MatrixError('E_INPUT_TOO_COMPLEX', `${req.file} needs more than ${this.o.heapMb ?? 256} MiB to parse`, { path: req.file })
            : new MatrixError('E_INTERNAL', `the spec parser failed: ${e.message}`),
        );
      const onExit = (code: number): void => fail(new MatrixError('E_INTERNAL', `the spec parser exited (code ${code})`));
      const timer = setTimeout(
        () => fail(new MatrixError('E_INPUT_TOO_COMPLEX', `${req.file} took longer than ${timeoutMs / 1000} s to parse`, { path: req.file })),
        timeoutMs,
      );
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage(req);
    });
  }
}
