/**
 * A bounded pool of worker threads that pseudonymise values for a domain, each worker running a
 * whole client pipeline. The client's own list call blinds its items one after another on one
 * thread; here the values are split into tasks of `taskSize`, at most `tasksPerWorker` in flight
 * per worker, and the results come back in input order.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ResearchError, ResearchErrorCodes } from './errors.js';
import type { MultiplierChoice } from './multiplier.js';
import type { ItemOutcome, PseudonymizeTask, TaskResult, WorkerInit } from './pool-messages.js';
import { assertInteger } from '@blindpseudo/core';

export interface PseudonymizePoolOptions {
  baseUrls: string | readonly string[];
  token?: string;
  /** Worker threads (default: available parallelism, at most 4). */
  workers?: number;
  multiplier?: MultiplierChoice;
  /** Values per task (default 40: four `*Multiple` calls of 10). */
  taskSize?: number;
  /** Tasks in flight per worker (default 2: one computes while the other waits on HTTP). */
  tasksPerWorker?: number;
}

interface Pending {
  readonly task: PseudonymizeTask;
  readonly resolve: (outcomes: readonly ItemOutcome[]) => void;
  readonly reject: (err: unknown) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly running: Map<number, Pending>;
}

const FROM_SOURCES = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCES ? './pseudonymize-worker.ts' : './pseudonymize-worker.js', import.meta.url);

/** Built code runs the worker module as is; sources (under tsx) register tsx in the worker first. */
function startWorker(workerData: WorkerInit): Worker {
  if (!FROM_SOURCES) return new Worker(WORKER_URL, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

function positiveInteger(value: number, label: string): number {
  return assertInteger(value, label, 1, Number.MAX_SAFE_INTEGER);
}

export class PseudonymizePool {
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #taskSize: number;
  readonly #tasksPerWorker: number;
  #nextId = 0;
  #closed = false;

  constructor(options: PseudonymizePoolOptions) {
    const baseUrls = typeof options.baseUrls === 'string' ? [options.baseUrls] : [...options.baseUrls];
    if (baseUrls.length === 0 || baseUrls.some((u) => typeof u !== 'string')) {
      throw new TypeError('baseUrls must be a URL or a non-empty list of URLs');
    }
    const workers = positiveInteger(options.workers ?? Math.min(4, availableParallelism()), 'workers');
    this.#taskSize = positiveInteger(options.taskSize ?? 40, 'taskSize');
    this.#tasksPerWorker = positiveInteger(options.tasksPerWorker ?? 2, 'tasksPerWorker');
    const init: WorkerInit = {
      baseUrls,
      token: options.token,
      multiplier: options.multiplier ?? 'auto',
      concurrency: Math.max(1, Math.ceil(this.#taskSize / 10)),
    };
    for (let i = 0; i < workers; i++) this.#slots.push(this.#spawn(init));
  }

  /** The number of worker threads. */
  get size(): number {
    return this.#slots.length;
  }

  #spawn(init: WorkerInit): Slot {
    const worker = startWorker(init);
    const slot: Slot = { worker, running: new Map() };
    worker.on('message', (result: TaskResult) => {
      const pending = slot.running.get(result.id);
      if (pending === undefined) return;
      slot.running.delete(result.id);
      pending.resolve(result.outcomes);
      this.#dispatch();
    });
    const fail = (why: string): void => {
      const err = new ResearchError(ResearchErrorCodes.WORKER_FAILED, `a pseudonymisation worker ${why}`);
      for (const pending of slot.running.values()) pending.reject(err);
      slot.running.clear();
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots.splice(index, 1);
      if (this.#slots.length === 0) for (const pending of this.#queue.splice(0)) pending.reject(err);
    };
    worker.on('error', (err) => fail(`failed: ${err.message}`));
    worker.on('exit', (code) => {
      if (!this.#closed) fail(`exited with code ${code}`);
    });
    return slot;
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let best: Slot | undefined;
      for (const slot of this.#slots) {
        if (slot.running.size < this.#tasksPerWorker && (best === undefined || slot.running.size < best.running.size))
          best = slot;
      }
      if (best === undefined) return;
      const pending = this.#queue.shift()!;
      best.running.set(pending.task.id, pending);
      best.worker.postMessage(pending.task);
    }
  }

  /**
   * Pseudonymises the values; one outcome per value, in order. Rejects at once with
   * `ERR_RESEARCH_ABORTED` when the signal fires (tasks in flight finish and are dropped).
   */
  async pseudonymize(domain: string, values: readonly string[], signal?: AbortSignal): Promise<ItemOutcome[]> {
    if (this.#closed) throw new TypeError('the pool is closed');
    if (this.#slots.length === 0) throw new ResearchError(ResearchErrorCodes.WORKER_FAILED, 'no worker is left');
    const parts: Promise<readonly ItemOutcome[]>[] = [];
    for (let i = 0; i < values.length; i += this.#taskSize) {
      const task: PseudonymizeTask = { id: this.#nextId++, domain, values: values.slice(i, i + this.#taskSize) };
      parts.push(new Promise((resolve, reject) => this.#queue.push({ task, resolve, reject })));
    }
    this.#dispatch();
    const all = Promise.all(parts).then((lists) => lists.flat());
    if (signal === undefined) return all;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new ResearchError(ResearchErrorCodes.ABORTED, 'the job was interrupted'));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      all.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const err = new ResearchError(ResearchErrorCodes.ABORTED, 'the pool was closed');
    for (const pending of this.#queue.splice(0)) pending.reject(err);
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    for (const slot of this.#slots) for (const pending of slot.running.values()) pending.reject(err);
    this.#slots.length = 0;
  }
}
